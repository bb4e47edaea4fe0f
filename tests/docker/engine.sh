#!/usr/bin/env bash
# A private, offline Docker engine for argonb's docker backend tests (see docs/docker.md and
# shared/recipes/docker-engine.md).   Usage: engine.sh install|start|images|stop|all
#
# The engine listens on unix://$ARGONB_DOCKER_ROOT/docker.sock (default /var/tmp/argonb-docker) with
# --bridge=none --iptables=false: it never changes the host's firewall, forwarding or interfaces, and
# containers get loopback only. Images are built offline with `docker import` (no registry):
#   argonb-test/busybox  from Debian's busybox-static binary (copied from /bin/busybox when .ci/run installed
#                        busybox-static; else extracted from the package, which conflicts with the dynamic
#                        `busybox` package the local backend uses), tagged busybox, alpine, alpine:3.18, alpine:3.23
#   argonb-test/python   a debootstrap'ed Debian python3, tagged python:3.11, python:3, python:alpine3.23, ...
#   argoproj/argosay:v2/v1  busybox + argonb's own argosay/cowsay stand-ins
set -euo pipefail
ROOT=${ARGONB_DOCKER_ROOT:-/var/tmp/argonb-docker}
CACHE=${ARGONB_IMAGE_CACHE:-/var/cache/argonb-images}
SOCK=$ROOT/docker.sock
export DOCKER_HOST=unix://$SOCK
DOCKER=/usr/bin/docker            # Debian's client, same version as the engine
[ -x $DOCKER ] || DOCKER=docker
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
ARGOSAY_VERSION=3   # bump to rebuild the argosay stand-ins
log() { printf '[docker-engine %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

do_install() {
  local need=()
  command -v dockerd     >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v zstd        >/dev/null || need+=(zstd)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
  fi
}

do_start() {
  mkdir -p "$ROOT"
  if $DOCKER version >/dev/null 2>&1; then log "engine already up"; return 0; fi
  # leftovers of a SIGKILLed run: an old dockerd makes the new one refuse ("pid file found"),
  # an old containerd makes it wait ~10 s. Both are ours (they run under our private root).
  local old; old=$(cat "$ROOT/dockerd.pid" 2>/dev/null || true)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    kill -TERM "$old" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$old" 2>/dev/null || true
  fi
  local cpid=$ROOT/exec/containerd/containerd.pid
  if [ -s "$cpid" ] && kill -0 "$(cat "$cpid")" 2>/dev/null; then kill -9 "$(cat "$cpid")" || true; fi
  for _ in $(seq 1 50); do [ -n "$old" ] && kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  rm -f "$SOCK" "$ROOT/dockerd.pid"
  log "starting dockerd (root $ROOT)"
  setsid dockerd --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$ROOT/dockerd.pid" \
      -H "unix://$SOCK" --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
      --shutdown-timeout 3 --log-level warn ${ARGONB_DOCKERD_FLAGS:-} \
      >"$ROOT/dockerd.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 300); do
    if $DOCKER version >/dev/null 2>&1; then
      $DOCKER container prune -f >/dev/null   # containers left by a killed run
      log "engine up: $($DOCKER info -f '{{.ServerVersion}} {{.Driver}}')"; return 0
    fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  log "dockerd failed to start; log follows"; cat "$ROOT/dockerd.log" >&2; return 1
}

static_busybox() {
  # Debian's busybox-static binary without installing the package (it conflicts with `busybox`).
  local out=$1 tmp; tmp=$(mktemp -d)
  if file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then cp /bin/busybox "$out"; rm -rf "$tmp"; return; fi
  mkdir -p "$CACHE"
  if [ ! -s "$CACHE/busybox-static" ]; then
    (cd "$tmp" && apt-get download busybox-static >/dev/null 2>&1) || { apt-get update -qq; (cd "$tmp" && apt-get download busybox-static >/dev/null); }
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
    cp "$tmp/x/bin/busybox" "$CACHE/busybox-static"
  fi
  cp "$CACHE/busybox-static" "$out"
  rm -rf "$tmp"
}

build_busybox() {
  local tmp; tmp=$(mktemp -d); local r=$tmp/rootfs
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/tmp}
  chmod 1777 "$r/tmp" "$r/var/tmp"
  static_busybox "$r/bin/busybox"
  chmod 755 "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  ln -sf /bin/env "$r/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  tar --numeric-owner -C "$r" -c . | $DOCKER import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["/bin/sh"]' - argonb-test/busybox:latest >/dev/null
  rm -rf "$tmp"
}

build_python() {
  local tar=$CACHE/bookworm-python3.tar.zst
  if [ ! -s "$tar" ]; then
    local tmp; tmp=$(mktemp -d)
    log "debootstrap bookworm minbase + python3 (about 40 s)"
    local ok=0
    for _ in 1 2; do   # a mirror hiccup: retry once
      rm -rf "$tmp/rootfs"
      if debootstrap --variant=minbase --include=python3,python-is-python3 bookworm "$tmp/rootfs" \
          http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1; then ok=1; break; fi
    done
    [ $ok = 1 ] || { tail -20 "$tmp/debootstrap.log" >&2; rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp"/rootfs/var/cache/apt/*.bin \
           "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/usr/share/{doc,man,info,locale}/*
    mkdir -p "$CACHE"
    tar --numeric-owner -C "$tmp/rootfs" -c . | zstd -q -T0 -3 -o "$tar.part" -f && mv "$tar.part" "$tar"
    rm -rf "$tmp"
  fi
  zstd -dc "$tar" | $DOCKER import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - argonb-test/python:3.11 >/dev/null
}

build_argosay() {
  # argoproj/argosay:v2 = Debian (sh, bash, as the real Ubuntu image) + /argosay (ENTRYPOINT); v1 = the same
  # with cowsay (CMD). The scripts are argonb's own stand-ins, so both backends run the same argosay.
  local tmp; tmp=$(mktemp -d)
  # the argosay script is read from argonb's source (not imported: this runs before `pip install`)
  $PYTHON - "$HERE/../../argonb/backends/stand_ins.py" "$tmp" <<'PY'
import ast, sys
from pathlib import Path
tree = ast.parse(Path(sys.argv[1]).read_text())
argosay = next(n.value.value for n in tree.body if isinstance(n, ast.Assign)
               and getattr(n.targets[0], "id", "") == "ARGOSAY")
out = Path(sys.argv[2])
(out / "argosay").write_text(argosay)
(out / "cowsay").write_text('#!/bin/sh\n# cowsay stand-in: the message in a bubble over a cow\n'
    'if [ $# -gt 0 ]; then t="$*"; else t=$(cat); fi\n'
    'n=${#t}; line=$(printf "%*s" $((n + 2)) "" | tr " " "_"); dash=$(printf "%*s" $((n + 2)) "" | tr " " "-")\n'
    'echo " $line"; echo "< $t >"; echo " $dash"\n'
    'echo "        \\\\   ^__^"; echo "         \\\\  (oo)\\\\_______"; echo "            (__)\\\\       )\\\\/\\\\"\n'
    'echo "                ||----w |"; echo "                ||     ||"\n')
PY
  chmod 755 "$tmp/argosay" "$tmp/cowsay"
  printf 'FROM argonb-test/python:3.11\nLABEL argonb.standin=%s\nCOPY argosay /argosay\nCOPY cowsay /usr/games/cowsay\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games\nENTRYPOINT ["/argosay"]\nCMD []\n' "$ARGOSAY_VERSION" >"$tmp/Dockerfile"
  DOCKER_BUILDKIT=0 $DOCKER build -q -t argoproj/argosay:v2 "$tmp" >/dev/null
  printf 'FROM argoproj/argosay:v2\nENTRYPOINT []\nCMD ["cowsay"]\n' >"$tmp/Dockerfile"
  DOCKER_BUILDKIT=0 $DOCKER build -q -t argoproj/argosay:v1 "$tmp" >/dev/null
  rm -rf "$tmp"
  $DOCKER image prune -f >/dev/null   # the replaced stand-ins
}

do_images() {
  $DOCKER image inspect argonb-test/busybox:latest >/dev/null 2>&1 || { log "building busybox image"; build_busybox; }
  $DOCKER image inspect argonb-test/python:3.11  >/dev/null 2>&1 || { log "building python image"; build_python; }
  [ "$($DOCKER image inspect -f '{{index .Config.Labels "argonb.standin"}}' argoproj/argosay:v1 2>/dev/null)" = "$ARGOSAY_VERSION" ] \
    || { log "building argosay stand-ins"; build_argosay; }
  # public names that workflow YAML commonly uses, served offline by the stand-ins
  for t in busybox:latest alpine:latest alpine:3.18 alpine:3.23; do $DOCKER tag argonb-test/busybox:latest "$t"; done
  for t in python:3.11 python:3.11-slim python:3 python:alpine3.23; do $DOCKER tag argonb-test/python:3.11 "$t"; done
  $DOCKER images --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2
}

do_stop() {
  if timeout 10 $DOCKER version >/dev/null 2>&1; then
    local ids; ids=$(timeout 10 $DOCKER ps -aq || true)
    [ -z "$ids" ] || timeout 20 $DOCKER rm -f $ids >/dev/null 2>&1 || log "could not remove every container"
  fi
  local pid; pid=$(cat "$ROOT/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd ignored TERM, killing"; kill -KILL "$pid"; }
  fi
  local cpid=$ROOT/exec/containerd/containerd.pid
  if [ -s "$cpid" ] && kill -0 "$(cat "$cpid")" 2>/dev/null; then kill -KILL "$(cat "$cpid")" || true; fi
  # shims and runtimes of our engine that outlived it (a hung container start): ours, found by our exec root
  local p
  for p in $(grep -l -a -F "$ROOT/exec" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    [ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null || true
  done
  # dockerd leaves its netns file and a private bind mount of the data root mounted
  awk -v r="$ROOT" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  log "engine stopped"
}

case "${1:-all}" in
  install) do_install ;;
  start)   do_start ;;
  images)  do_images ;;
  stop)    do_stop ;;
  all)     do_install; do_start; do_images ;;
  *) echo "usage: $0 install|start|images|stop|all" >&2; exit 2 ;;
esac
