"""Docker backend: outputs are read as the container sees them. A link the container leaves at a declared output
path is resolved inside the container (through the engine's archive API), never on the host; a path outside
every mount comes from the container too. Argo reads outputs inside the container (cmd/argoexec/commands/
emissary.go saveParameter/saveArtifact; ARGO-SEMANTICS §5.4/§5.5)."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import textwrap
import time
import uuid
import zipfile
from pathlib import Path

import pytest

import argonb

TOKEN = f"host-secret-{uuid.uuid4().hex}"
SPECS = {"none": "{none: {}}", "zip": "{zip: {}}", "tar": "{tar: {}}"}


@pytest.fixture
def host_secret():
    """A host directory the container cannot see, holding a secret."""
    base = Path(tempfile.mkdtemp(prefix="argonb-host-", dir="/var/tmp"))
    (base / "secret.txt").write_text(TOKEN + "\n")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _run(script: str, outputs: str, timeout: float = 90):
    text = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: dlinks-}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {image: busybox, command: [sh, -c, %s]}
        outputs: %s
    """) % (json.dumps(script), outputs)
    run = argonb.run(text, backend="docker").wait(timeout)
    assert run.done, run.phase
    return run, run.node(run.name)


def _all_stored_bytes(home: Path) -> bytes:
    out = b""
    for path in (home / "artifacts").rglob("*") if (home / "artifacts").exists() else []:
        if path.is_symlink():
            out += str(path.readlink()).encode()
        elif path.is_file():
            out += path.read_bytes()
            if tarfile.is_tarfile(path):
                with tarfile.open(path) as tf:
                    for m in tf.getmembers():
                        f = tf.extractfile(m) if m.isfile() else None
                        out += m.linkname.encode() + (f.read() if f else b"")
            elif zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    out += b"".join(zf.read(i) for i in zf.infolist())
    return out


def _stored(home: Path, node: dict, name: str) -> Path:
    art = next(a for a in node["outputs"]["artifacts"] if a["name"] == name)
    return home / "artifacts" / art["s3"]["key"]


def test_output_parameters_never_read_the_host_through_links_s5_4(_argonb_home, host_secret):
    secret = host_secret / "secret.txt"
    script = (f"ln -s {secret} /tmp/abs; ln -s {'../' * 20}{str(secret).lstrip('/')} /tmp/rel; "
              f"ln -s {secret} /tmp/hop; ln -s /tmp/hop /tmp/hop2; ln -s {host_secret} /tmp/dir; "
              "ln -s /etc/passwd /tmp/image; ln -s /tmp/image /tmp/image2; cat /etc/passwd")
    names = {"abs": "/tmp/abs", "rel": "/tmp/rel", "hop": "/tmp/hop2", "dir": "/tmp/dir/secret.txt",
             "image": "/tmp/image2", "hostname": "/etc/hostname"}
    params = ", ".join(f"{{name: {k}, valueFrom: {{path: {v}, default: absent}}}}" for k, v in names.items())
    run, node = _run(script, f"{{parameters: [{params}]}}")
    assert run.phase == "Succeeded", node.get("message")
    got = {p["name"]: p["value"] for p in node["outputs"]["parameters"]}
    assert TOKEN not in json.dumps(got)
    assert got["abs"] == got["rel"] == got["hop"] == got["dir"] == "absent"  # dangling inside the container
    # a link to the image's own file gives the container's file, not the host's
    assert got["image"] == node["outputs"]["result"]
    # a path outside every mount is read from the container (its hostname is the pod's), not from the host
    assert got["hostname"] == run.node(run.name)["name"][:63]


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_an_artifact_link_to_a_host_file_or_directory_leaks_nothing_s5_5(_argonb_home, host_secret, archive):
    run, node = _run(f"ln -s {host_secret / 'secret.txt'} /tmp/file; ln -s {host_secret} /tmp/dir",
                     f"{{artifacts: [{{name: f, path: /tmp/file, optional: true, archive: {SPECS[archive]}}}, "
                     f"{{name: d, path: /tmp/dir, optional: true, archive: {SPECS[archive]}}}]}}")
    assert run.phase == "Succeeded", node.get("message")
    assert not node["outputs"].get("artifacts")  # both links dangle inside the container: absent
    assert TOKEN.encode() not in _all_stored_bytes(_argonb_home)


def _links(stored: Path, archive: str) -> dict[str, str]:
    """name -> link target of the links in a stored artifact."""
    if archive == "none":
        items = [stored, *(sorted(stored.rglob("*")) if stored.is_dir() and not stored.is_symlink() else [])]
        return {str(p.relative_to(stored.parent)): str(p.readlink()) for p in items if p.is_symlink()}
    if archive == "zip":
        with zipfile.ZipFile(stored) as zf:
            return {i.filename: zf.read(i).decode() for i in zf.infolist()
                    if (i.external_attr >> 16) & 0o170000 == 0o120000}
    with tarfile.open(stored) as tf:
        return {m.name: m.linkname for m in tf.getmembers() if m.issym()}


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_a_link_to_root_is_archived_as_a_link_never_walked_s5_5(_argonb_home, archive):
    started = time.monotonic()
    run, node = _run("ln -s / /tmp/out", f"{{artifacts: [{{name: a, path: /tmp/out, archive: {SPECS[archive]}}}]}}",
                     timeout=60)
    assert time.monotonic() - started < 30
    assert run.phase == "Succeeded", node.get("message")
    stored = _stored(_argonb_home, node, "a")
    assert _links(stored, archive) == {stored.name if archive == "none" else "out": "/"}


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_links_inside_an_artifact_directory_are_kept_as_links_s5_5(_argonb_home, host_secret, archive):
    script = (f"mkdir -p /tmp/out/sub; echo -n mine > /tmp/out/sub/f; ln -s sub/f /tmp/out/ok; "
              f"ln -s {host_secret} /tmp/out/dir; ln -s {host_secret}/secret.txt /tmp/out/file")
    run, node = _run(script, f"{{artifacts: [{{name: a, path: /tmp/out, archive: {SPECS[archive]}}}]}}")
    assert run.phase == "Succeeded", node.get("message")
    assert _links(_stored(_argonb_home, node, "a"), archive) == \
        {"out/ok": "sub/f", "out/dir": str(host_secret), "out/file": f"{host_secret}/secret.txt"}
    assert TOKEN.encode() not in _all_stored_bytes(_argonb_home)


def test_a_stored_link_reaches_the_next_container_as_a_link_s5_5(_argonb_home, host_secret):
    """The next container gets the link, which resolves inside it: a bind mount would resolve it on the host
    (mounting the host's `/`), so argonb puts the link into the container instead."""
    text = textwrap.dedent(f"""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: drelay-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {{name: make, template: make}}
        - - name: take
            template: take
            arguments: {{artifacts: [{{name: a, from: "{{{{steps.make.outputs.artifacts.a}}}}"}}, {{name: b, from: "{{{{steps.make.outputs.artifacts.a}}}}"}}]}}
      - name: make
        container: {{image: busybox, command: [sh, -c, "ln -s / /tmp/out"]}}
        outputs: {{artifacts: [{{name: a, path: /tmp/out, archive: {{none: {{}}}}}}]}}
      - name: take
        inputs: {{artifacts: [{{name: a, path: /top}}, {{name: b, path: /in/b}}]}}
        container:
          image: busybox
          command: [sh, -c, "readlink /top; readlink /in/b; cat /top{host_secret}/secret.txt /in/b{host_secret}/secret.txt; true"]
    """)
    run = argonb.run(text, backend="docker").wait(90)
    assert run.done
    take = next(n for n in run.nodes.values() if n["displayName"] == "take")
    assert run.phase == "Succeeded", take.get("message")
    assert take["outputs"]["result"] == "/\n/"  # both links, and no host file through them
    assert TOKEN not in take["outputs"]["result"]


def test_a_link_through_a_parent_directory_resolves_in_the_container_s5_5(_argonb_home):
    """`/tmp/out` a link to the image's /etc: `/tmp/out/passwd` is the container's passwd, read via the API.
    (`/tmp/anchor` makes `/tmp` the mounted directory, so `/tmp/out` is the container's to make.)"""
    run, node = _run("ln -s /etc /tmp/out; cat /etc/passwd",
                     "{parameters: [{name: p, valueFrom: {path: /tmp/out/passwd}}, "
                     "{name: anchor, valueFrom: {path: /tmp/anchor, default: x}}], "
                     "artifacts: [{name: a, path: /tmp/out/passwd, archive: {none: {}}}]}")
    assert run.phase == "Succeeded", node.get("message")
    assert node["outputs"]["parameters"][0]["value"] == node["outputs"]["result"]
    assert _stored(_argonb_home, node, "a").read_text().rstrip("\n") == node["outputs"]["result"]



def test_a_link_loop_is_eloop_as_on_the_local_backend(_argonb_home):
    run, node = _run("ln -s /tmp/b /tmp/a; ln -s /tmp/a /tmp/b",
                     "{parameters: [{name: p, valueFrom: {path: /tmp/a, default: fallback}}]}")
    assert run.phase == "Error" and node["message"] == "/tmp/a: too many levels of symbolic links", node["message"]
