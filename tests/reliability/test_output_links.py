"""Links at declared output paths (local backend): outputs are read as the container sees them, resolved inside
the pod's root, never through a link onto the host; links are archived as links; stop reaches collection.

Argo reads outputs inside the container (cmd/argoexec/commands/emissary.go saveParameter/saveArtifact, ARGO-
SEMANTICS §5.4/§5.5): `os.Open` follows a link within the container; util/archive TarGzToWriter archives a link
to a directory as the link. argonb archives links as links for every archive kind (argonb/engine/outarchive.py
says where that differs from the executor's untar)."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import textwrap
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

import argonb

TOKEN = f"host-secret-{uuid.uuid4().hex}"


@pytest.fixture
def host_secret():
    """A host directory outside every pod root (not under /tmp, which the local backend maps into the pod)
    holding a file with a secret token."""
    base = Path(tempfile.mkdtemp(prefix="argonb-host-", dir="/var/tmp"))
    (base / "secret.txt").write_text(TOKEN + "\n")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _run(script: str, outputs: str, timeout: float = 60):
    text = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: links-}
    spec:
      entrypoint: main
      templates:
      - name: main
        container:
          image: alpine
          command: [sh, -c, %s]
        outputs: %s
    """) % (json.dumps(script), outputs)
    run = argonb.run(text).wait(timeout)
    assert run.done, run.phase
    return run, run.node(run.name)


def _stored(home: Path, node: dict, name: str) -> Path:
    art = next(a for a in node["outputs"]["artifacts"] if a["name"] == name)
    return home / "artifacts" / art["s3"]["key"]


def _everything_in(path: Path) -> bytes:
    """Every byte argonb stored for an artifact: file data, archive members' data, and link targets."""
    if path.is_symlink():
        return str(path.readlink()).encode()
    if path.is_dir():
        return b"".join(_everything_in(p) + p.name.encode() for p in sorted(path.rglob("*")))
    data = path.read_bytes()
    if tarfile.is_tarfile(path):
        out = b""
        with tarfile.open(path) as tf:
            for m in tf.getmembers():
                out += m.name.encode() + m.linkname.encode()
                f = tf.extractfile(m) if m.isfile() else None
                out += f.read() if f else b""
        return out
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return b"".join(i.filename.encode() + zf.read(i) for i in zf.infolist())
    return data


PARAM = "{parameters: [{name: p, valueFrom: {path: /tmp/out.txt}}]}"


@pytest.mark.parametrize("link", ["absolute", "relative", "link-to-link", "parent-dir-link"])
def test_an_output_parameter_never_reads_the_host_through_a_link_s5_4(_argonb_home, host_secret, link):
    secret = host_secret / "secret.txt"
    climb = "../" * 30 + str(secret).lstrip("/")
    script = {"absolute": f"ln -s {secret} /tmp/out.txt",
              "relative": f"ln -s {climb} /tmp/out.txt",
              "link-to-link": f"ln -s {secret} /tmp/hop; ln -s /tmp/hop /tmp/out.txt",
              "parent-dir-link": f"ln -s {host_secret} /tmp/d"}[link]
    path = "/tmp/d/secret.txt" if link == "parent-dir-link" else "/tmp/out.txt"
    run, node = _run(script, PARAM.replace("/tmp/out.txt", path))
    assert TOKEN not in str(node.get("outputs")), node["outputs"]
    assert run.phase == "Error" and "no such file or directory" in node["message"], node["message"]


def test_links_inside_the_pod_still_resolve_as_in_the_container_s5_4(_argonb_home):
    script = ("mkdir -p /tmp/data; echo -n inside > /tmp/data/real; ln -s /tmp/data/real /tmp/hop; "
              "ln -s hop /tmp/out.txt; ln -s /tmp/data /tmp/dir")
    run, node = _run(script, "{parameters: [{name: p, valueFrom: {path: /tmp/out.txt}}, "
                             "{name: q, valueFrom: {path: /tmp/dir/real}}]}")
    assert run.phase == "Succeeded", node["message"]
    assert [p["value"] for p in node["outputs"]["parameters"]] == ["inside", "inside"]


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_an_output_artifact_link_to_a_host_file_gives_nothing_of_the_host_s5_5(_argonb_home, host_secret, archive):
    spec = {"none": "{none: {}}", "zip": "{zip: {}}", "tar": "{tar: {}}"}[archive]
    run, node = _run(f"ln -s {host_secret / 'secret.txt'} /tmp/out.txt",
                     f"{{artifacts: [{{name: a, path: /tmp/out.txt, archive: {spec}}}]}}")
    assert TOKEN not in str(node.get("outputs"))
    assert run.phase == "Error" and "no such file or directory" in node["message"], node["message"]
    assert not (_argonb_home / "artifacts").exists() or TOKEN.encode() not in b"".join(
        _everything_in(p) for p in (_argonb_home / "artifacts").rglob("*") if p.is_file())


def _members(stored: Path, archive: str) -> dict[str, str | None]:
    """name -> link target (None for files and directories) of a stored artifact."""
    if archive == "none":
        items = [stored, *sorted(stored.rglob("*"))] if stored.is_dir() and not stored.is_symlink() else [stored]
        return {("out/" + str(p.relative_to(stored)) if p != stored else "out"):
                (str(p.readlink()) if p.is_symlink() else None) for p in items}
    if archive == "zip":
        with zipfile.ZipFile(stored) as zf:
            return {i.filename: (zf.read(i).decode() if (i.external_attr >> 16) & 0o170000 == 0o120000 else None)
                    for i in zf.infolist()}
    with tarfile.open(stored) as tf:
        return {m.name: (m.linkname if m.issym() else None) for m in tf.getmembers()}


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_a_link_to_a_directory_is_archived_as_a_link_never_walked_s5_5(_argonb_home, archive):
    """`ln -s / /tmp/out` used to walk the host's filesystem (into /proc, where it blocked). Argo's TarGzToWriter
    archives such a link as the link (filepath.Walk does not follow it); so does argonb, for every archive."""
    spec = {"none": "{none: {}}", "zip": "{zip: {}}", "tar": "{tar: {}}"}[archive]
    started = time.monotonic()
    run, node = _run("ln -s / /tmp/out; mkdir /tmp/d; ln -s d /tmp/out2",
                     f"{{artifacts: [{{name: a, path: /tmp/out, archive: {spec}}}, "
                     f"{{name: b, path: /tmp/out2, archive: {spec}}}]}}", timeout=30)
    assert time.monotonic() - started < 10
    assert run.phase == "Succeeded", node["message"]
    assert _members(_stored(_argonb_home, node, "a"), archive) == {"out": "/"}
    assert _members(_stored(_argonb_home, node, "b"), archive) == {"out2" if archive != "none" else "out": "d"}


def test_a_stored_link_reaches_the_next_pod_as_a_link_s5_5(_argonb_home):
    """The next pod gets the link itself (it resolves inside that pod), never a copy of what it points to."""
    text = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: relay-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: make, template: make}
        - - name: take
            template: take
            arguments: {artifacts: [{name: a, from: "{{steps.make.outputs.artifacts.a}}"}]}
      - name: make
        container: {image: alpine, command: [sh, -c, "ln -s / /tmp/out"]}
        outputs: {artifacts: [{name: a, path: /tmp/out, archive: {none: {}}}]}
      - name: take
        inputs: {artifacts: [{name: a, path: /in/a}]}
        container: {image: alpine, command: [readlink, /in/a]}
    """)
    started = time.monotonic()
    run = argonb.run(text).wait(60)
    assert run.done and time.monotonic() - started < 20
    take = next(n for n in run.nodes.values() if n["displayName"] == "take")
    assert run.phase == "Succeeded" and take["outputs"]["result"] == "/", take.get("message")


@pytest.mark.parametrize("archive", ["none", "zip", "tar"])
def test_links_inside_an_artifact_directory_stay_links_s5_5(_argonb_home, host_secret, archive):
    spec = {"none": "{none: {}}", "zip": "{zip: {}}", "tar": "{tar: {}}"}[archive]
    script = (f"mkdir -p /tmp/out/sub; echo -n mine > /tmp/out/sub/f; ln -s sub/f /tmp/out/ok; "
              f"ln -s {host_secret} /tmp/out/dir; ln -s {host_secret}/secret.txt /tmp/out/file")
    run, node = _run(script, f"{{artifacts: [{{name: a, path: /tmp/out, archive: {spec}}}]}}")
    assert run.phase == "Succeeded", node["message"]
    links = {k: v for k, v in _members(_stored(_argonb_home, node, "a"), archive).items() if v is not None}
    assert links == {"out/ok": "sub/f", "out/dir": str(host_secret), "out/file": f"{host_secret}/secret.txt"}
    assert TOKEN.encode() not in b"".join(_everything_in(p) for p in (_argonb_home / "artifacts").rglob("*")
                                          if p.is_file() or p.is_symlink())


def test_special_files_in_an_artifact_are_left_out_and_never_read_s5_5(_argonb_home):
    run, node = _run("mkdir -p /tmp/out; mkfifo /tmp/out/fifo; echo -n x > /tmp/out/f",
                     "{artifacts: [{name: a, path: /tmp/out, archive: {none: {}}}, "
                     "{name: z, path: /tmp/out, archive: {zip: {}}}, {name: t, path: /tmp/out}]}", timeout=30)
    assert run.phase == "Succeeded", node["message"]  # a FIFO read would block forever
    assert sorted(p.name for p in _stored(_argonb_home, node, "a").iterdir()) == ["f"]
    with tarfile.open(_stored(_argonb_home, node, "t")) as tf:
        assert tf.getnames() == ["out", "out/f"]


def test_stop_reaches_output_collection(_argonb_home):
    """A 64 GiB sparse file takes minutes to archive: `stop` ends the collection, the node fails as stopped."""
    text = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: big-}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {image: alpine, command: [sh, -c, "mkdir -p /tmp/out && truncate -s 64G /tmp/out/big"]}
        outputs: {artifacts: [{name: a, path: /tmp/out}]}
    """)
    run = argonb.run(text)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list((_argonb_home / "artifacts").rglob("*.tgz")):
        time.sleep(0.05)
    time.sleep(0.5)
    stopped = time.monotonic()
    threading.Thread(target=run.stop, daemon=True).start()
    run.wait(30)
    assert run.done and time.monotonic() - stopped < 10
    node = run.node(run.name)
    assert run.phase == "Failed" and "Stop" in node["message"], (run.phase, node["message"])


def test_a_deadline_reaches_output_collection(_argonb_home):
    text = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: big-}
    spec:
      entrypoint: main
      templates:
      - name: main
        activeDeadlineSeconds: 3
        container: {image: alpine, command: [sh, -c, "mkdir -p /tmp/out && truncate -s 64G /tmp/out/big"]}
        outputs: {artifacts: [{name: a, path: /tmp/out}]}
    """)
    started = time.monotonic()
    run = argonb.run(text).wait(40)
    assert run.done and time.monotonic() - started < 15
    node = run.node(run.name)
    assert node["phase"] == "Failed" and "deadline" in node["message"], node["message"]


def test_a_link_loop_is_eloop_not_a_missing_file(_argonb_home):
    """Argo's saveParameter: `os.Open` fails with ELOOP, which is not IsNotExist, so no default applies."""
    run, node = _run("ln -s /tmp/b /tmp/a; ln -s /tmp/a /tmp/b",
                     "{parameters: [{name: p, valueFrom: {path: /tmp/a, default: fallback}}]}")
    assert run.phase == "Error" and node["message"] == "/tmp/a: too many levels of symbolic links", node["message"]
