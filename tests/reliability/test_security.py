"""Security: archives are extracted safely and boundedly; artifact keys, names and paths cannot make argonb write
outside its repository, run directory or pod root; the home and run store are owner-only; Kubernetes secrets
are refused by the local backend with a clear message and their values never reach logs, widget state or saved
notebooks; the Argo server token (ARGO_TOKEN) never reaches notebook outputs or the run store.

Trust model (docs/reliability.md): the local backend runs a workflow's commands as the user, like a notebook
cell; these checks are about argonb itself never doing more than the workflow asked for."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import textwrap
import uuid
import zipfile
from pathlib import Path

import pytest

import argonb
from argonb.engine.artifacts import ArtifactError, LocalRepository, unpack_into
from tests.reliability.support import ROOT, TracebackCatcher


# ---- archives ---------------------------------------------------------------------------------------------
def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.fixture
def sandbox(tmp_path):
    """`box/dest` is where archives are unpacked; anything appearing elsewhere in `box` (or at /tmp/<victim>)
    escaped."""
    box = tmp_path / "box"
    (box / "in").mkdir(parents=True)
    victim = f"argonb-victim-{uuid.uuid4().hex}"
    yield box, victim
    assert not Path("/tmp", victim).exists()


def _escaped(box: Path) -> list[str]:
    return sorted(str(p.relative_to(box)) for p in box.rglob("*") if not str(p.relative_to(box)).startswith(
        ("in", "dest")))


UNSAFE_TARS = {
    "parent traversal": lambda v: [_file(f"../../{v}"), _file("ok.txt")],
    "symlink escaping (absolute)": lambda v: [_link("link", "/tmp"), _file(f"link/{v}")],
    "symlink escaping (relative)": lambda v: [_link("link", "../../.."), _file(f"link/tmp/{v}")],
    "hardlink to a host file": lambda v: [_link("hard", "/etc/passwd", tarfile.LNKTYPE)],
    "hardlink escaping (relative)": lambda v: [_link("hard", f"../../{v}", tarfile.LNKTYPE)],
}


@pytest.mark.parametrize("case", sorted(UNSAFE_TARS))
def test_unsafe_tar_archives_are_refused_with_a_clear_error(sandbox, case):
    box, victim = sandbox
    archive = _tar(box / "in" / "a.tgz", UNSAFE_TARS[case](victim))
    with pytest.raises(ArtifactError) as info:
        unpack_into(archive, box / "dest")
    assert "a.tgz" in str(info.value) or "unsafe" in str(info.value)
    assert _escaped(box) == []


def test_absolute_names_in_a_tar_stay_inside_the_target(sandbox):
    box, victim = sandbox
    archive = _tar(box / "in" / "a.tgz", [_file(f"/tmp/{victim}", b"inside")])
    try:
        unpack_into(archive, box / "dest")
    except ArtifactError:
        pass  # refusing is fine too; escaping is not
    assert _escaped(box) == []


def test_unsafe_zip_archives_are_refused_or_confined(sandbox):
    box, victim = sandbox
    for name in (f"../../{victim}", f"/tmp/{victim}", f"a/../../../{victim}"):
        archive = box / "in" / "a.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(name, "escaped?")
            zf.writestr("ok.txt", "fine")
        try:
            unpack_into(archive, box / "dest")
        except ArtifactError:
            pass
        assert _escaped(box) == []


def test_archive_bombs_are_refused_before_they_are_inflated(sandbox, monkeypatch):
    box, _ = sandbox
    # a header claiming a 1 TiB member: refused at the header, with the default limit, without inflating anything
    info = tarfile.TarInfo("huge.bin")
    info.size = 1 << 40
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    (box / "in" / "claims.tar").write_bytes(header + b"\0" * 1024)
    with pytest.raises(ArtifactError, match="ARGONB_ARTIFACT_MAX_BYTES"):
        unpack_into(box / "in" / "claims.tar", box / "dest")
    # a real gzip bomb (4 MiB of zeros in a few KiB) past a configured limit
    monkeypatch.setenv("ARGONB_ARTIFACT_MAX_BYTES", str(1 << 20))
    bomb = _tar(box / "in" / "bomb.tgz", [_file("zeros", b"\0" * (4 << 20))])
    assert bomb.stat().st_size < 64 << 10
    with pytest.raises(ArtifactError, match="would expand to more than 1048576 bytes"):
        unpack_into(bomb, box / "dest")
    zbomb = box / "in" / "bomb.zip"
    with zipfile.ZipFile(zbomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros", b"\0" * (4 << 20))
    with pytest.raises(ArtifactError, match="ARGONB_ARTIFACT_MAX_BYTES"):
        unpack_into(zbomb, box / "dest")
    # too many entries
    monkeypatch.setenv("ARGONB_ARTIFACT_MAX_ENTRIES", "100")
    many = _tar(box / "in" / "many.tgz", [_file(f"f{i}") for i in range(101)])
    with pytest.raises(ArtifactError, match="more than 100 entries"):
        unpack_into(many, box / "dest")
    assert not (box / "dest").exists()


def test_a_corrupt_archive_is_an_artifact_error_not_a_crash(sandbox):
    box, _ = sandbox
    good = _tar(box / "in" / "good.tgz", [_file("data.bin", os.urandom(200_000))])
    (box / "in" / "cut.tgz").write_bytes(good.read_bytes()[:60_000])
    with pytest.raises(ArtifactError, match="cannot unpack archive cut.tgz"):
        unpack_into(box / "in" / "cut.tgz", box / "dest")


def _consumer(key: str) -> str:
    return textwrap.dedent(f"""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: consume-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        inputs: {{artifacts: [{{name: data, path: /in/data, s3: {{key: {key}}}}}]}}
        container: {{image: alpine, command: [ls, -R, /in]}}
    """)


def test_a_malicious_archive_in_the_repository_ends_the_node_in_error(_argonb_home, sandbox):
    box, victim = sandbox
    repo = _argonb_home / "artifacts"
    repo.mkdir(parents=True)
    _tar(repo / "evil.tgz", [_link("link", "/tmp"), _file(f"link/{victim}")])
    with TracebackCatcher() as caught:
        run = argonb.run(_consumer("evil.tgz")).wait(60)
    node = run.node(run.name)
    assert run.phase == "Error" and node["message"].startswith("cannot unpack archive evil.tgz"), node["message"]
    assert not caught.records, caught.formatted()  # an error message, not an internal failure


# ---- keys, names and paths ----------------------------------------------------------------------------------
def test_repository_keys_cannot_leave_the_repository(tmp_path):
    repo = LocalRepository(tmp_path / "repo")
    for key in ("../x", "a/../../x", "..", "a\\..\\..\\x"):
        with pytest.raises(ArtifactError, match="escapes the repository"):
            repo.path(key)
    assert repo.path("/etc/passwd") == tmp_path / "repo" / "etc" / "passwd"  # absolute keys stay inside
    assert repo.path("//a/./b") == tmp_path / "repo" / "a" / "b"


def _producer(artifact: str) -> str:
    return textwrap.dedent(f"""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: produce-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {{image: alpine, command: [sh, -c, "mkdir -p /out; echo data > /out/f.txt"]}}
        outputs: {{artifacts: [{artifact}]}}
    """)


@pytest.mark.parametrize("artifact", [
    "{name: out, path: /out/f.txt, s3: {key: ../../../escaped.tgz}}",
    "{name: out, path: /out/f.txt, s3: {key: a/../../../../escaped.tgz}}",
    "{name: out, path: /out/f.txt, archive: {none: {}}, s3: {key: ../escaped.txt}}",
])
def test_output_artifact_keys_with_dotdot_end_the_node_in_error(_argonb_home, artifact):
    run = argonb.run(_producer(artifact)).wait(60)
    assert run.phase == "Error" and "escapes the repository" in run.node(run.name)["message"]
    assert not list(_argonb_home.parent.rglob("escaped*"))


def test_an_absolute_output_key_is_stored_inside_the_repository(_argonb_home):
    target = f"/tmp/argonb-abs-{uuid.uuid4().hex}.tgz"
    run = argonb.run(_producer(f"{{name: out, path: /out/f.txt, s3: {{key: {target}}}}}")).wait(60)
    assert run.phase == "Succeeded", run.message
    assert not Path(target).exists()
    assert (_argonb_home / "artifacts" / target.lstrip("/")).is_file()


def test_input_artifact_keys_with_dotdot_are_refused(_argonb_home):
    (_argonb_home / "outside.txt").parent.mkdir(parents=True, exist_ok=True)
    (_argonb_home / "outside.txt").write_text("not an artifact")
    run = argonb.run(_consumer("../outside.txt")).wait(60)
    assert run.phase == "Error" and "escapes the repository" in run.node(run.name)["message"]


def test_input_artifacts_under_system_directories_stay_in_the_pod(_argonb_home):
    """Argo's own examples put artifacts at /usr/local/bin/kubectl or /bin/kubectl: argonb used to write them
    there on the host (replacing the user's kubectl). They belong to the pod's private root."""
    host = Path(f"/usr/local/bin/argonb-probe-{uuid.uuid4().hex}")
    run = argonb.run(textwrap.dedent(f"""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: tool-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        inputs: {{artifacts: [{{name: tool, path: {host}, raw: {{data: from-the-artifact}}}}]}}
        container: {{image: alpine, command: [cat, {host}]}}
    """)).wait(60)
    try:
        assert run.phase == "Succeeded", run.message
        assert run.node(run.name)["outputs"]["result"] == "from-the-artifact"
        assert not host.exists()
    finally:
        host.unlink(missing_ok=True)


def test_dotdot_in_artifact_paths_cannot_climb_out_of_the_pod_root(_argonb_home):
    run = argonb.run(textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: climb}
    spec:
      entrypoint: main
      templates:
      - name: main
        inputs: {artifacts: [{name: a, path: /../../../../../../climbed.txt, raw: {data: x}}]}
        container: {image: alpine, command: ["true"]}
    """)).wait(60)
    assert run.phase == "Succeeded", run.message  # "/../../x" is "/x", in a container as in the pod root
    assert [p.name for p in _argonb_home.parent.rglob("climbed.txt")] == ["climbed.txt"]
    assert (run.run_dir / "pods" / "climb" / "root" / "climbed.txt").is_file()


# ---- owner-only home and store --------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_and_store_are_created_owner_only(tmp_path):
    home = tmp_path / "fresh" / "home"
    wf = tmp_path / "wf.yaml"
    wf.write_text(_producer("{name: out, path: /out/f.txt}"))
    done = subprocess.run([sys.executable, "-m", "argonb.cli.main", "run", str(wf), "--home", str(home)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _mode(home) == 0o700
    for name in ("argonb.db", "argonb.db-wal", "argonb.db-shm"):
        if (home / name).exists():
            assert _mode(home / name) == 0o600, name
    plain = tmp_path / "plain-home"  # a plain argonb.run (no store) creates its home owner-only too
    run = argonb.run(_producer("{name: out, path: /out/f.txt}"), home=plain).wait(60)
    assert run.phase == "Succeeded" and _mode(plain) == 0o700


# ---- Kubernetes secrets -------------------------------------------------------------------------------------
SECRET_VALUE = "S3CR3T-" + uuid.uuid4().hex

SECRET_ENV = f"""
apiVersion: v1
kind: Secret
metadata: {{name: my-secret}}
stringData: {{password: {SECRET_VALUE}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: secret-env-}}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "echo password=$PASSWORD"]
      env: [{{name: PASSWORD, valueFrom: {{secretKeyRef: {{name: my-secret, key: password}}}}}}]
"""

SECRET_VOLUME = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: secret-volume-}
spec:
  entrypoint: main
  volumes: [{name: creds, secret: {secretName: my-secret}}]
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "cat /creds/password"]
      volumeMounts: [{name: creds, mountPath: /creds}]
"""

SECRET_SIDECAR = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: secret-sidecar-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
    sidecars:
    - name: helper
      image: alpine
      command: [sh, -c, "echo $TOKEN"]
      env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: my-secret, key: password}}}]
"""


@pytest.mark.parametrize("text, words", [
    (SECRET_ENV, ["PASSWORD", "secretKeyRef", "Kubernetes"]),
    (SECRET_VOLUME, ["creds", "secret", "Kubernetes"]),
    (SECRET_SIDECAR, ["helper", "TOKEN", "secretKeyRef", "Kubernetes"]),  # used to be dropped silently
])
def test_kubernetes_secrets_are_refused_with_a_clear_error(text, words):
    run = argonb.run(text).wait(60)
    node = run.node(run.name)
    assert run.phase == "Error" and node["phase"] == "Error"
    assert all(w in node["message"] for w in words), node["message"]
    assert "podName" not in node or not (run.run_dir / "pods" / node["podName"] / "main.log").exists()
    assert SECRET_VALUE not in json.dumps(run.to_workflow()) + run.logs()


# ---- in a notebook: secrets and the Argo token never reach saved outputs or the store -------------------
HELLO = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hello]}
"""


def test_secrets_and_the_argo_token_never_reach_notebook_outputs_or_the_store(tmp_path, monkeypatch, _argonb_home):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    from tests.argo.fake_argo import FakeArgoServer

    token = "argo-token-" + uuid.uuid4().hex
    for var in ("ARGO_NAMESPACE", "ARGO_INSECURE_SKIP_VERIFY", "ARGO_BASE_HREF"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARGO_TOKEN", token)  # the kernel inherits it, as from the user's shell
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with FakeArgoServer(token=token) as fake:
        monkeypatch.setenv("ARGO_SERVER", fake.url)
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in [
            "%load_ext argonb",
            "%%workflow --wait\n" + SECRET_ENV,
            "%%workflow --wait --backend argo\n" + HELLO,
            "import argonb\nrun = argonb.run('''" + SECRET_VOLUME + "''').wait(60)\nrun",
        ]]
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                         store_widget_state=True, resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    saved = json.loads(path.read_text())
    outputs = json.dumps([c.get("outputs") for c in saved["cells"]]) + json.dumps(saved["metadata"])
    assert "secretKeyRef" in outputs and "Kubernetes" in outputs  # the refusal is shown...
    assert "Succeeded" in outputs  # ...and the Argo run went through
    assert SECRET_VALUE not in outputs and token not in outputs
    for file in _argonb_home.rglob("*"):  # the store, logs, artifacts of every run
        if file.is_file():
            data = file.read_bytes()
            assert token.encode() not in data, file
            if file.name not in ("argonb.db", "argonb.db-wal"):  # the store keeps the cell's source verbatim
                assert SECRET_VALUE.encode() not in data, file
