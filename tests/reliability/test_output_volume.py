"""Output volume: a pod that prints 200 MiB, a 50 MiB line without a newline, binary and invalid UTF-8, and no
trailing newline. The run completes; memory stays bounded (peak RSS growth of the process running argonb, from
`resource.getrusage`); the full log is on disk byte for byte; `outputs.result` keeps the last 256 KiB
(ARGO-SEMANTICS §5.3); every NodeLog event is at most `_Stream.MAX_LINE` characters; the notebook recorder and
the notebook's static snapshot keep only a tail; `argonb logs` streams the file instead of reading it whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from argonb.backends.local import RESULT_LIMIT, _Stream
from argonb.notebook.recorder import LOG_LINE_CHARS, LOG_TAIL_LINES
from tests.reliability.support import ROOT

MIB = 1 << 20
GROWTH_LIMIT_KB = 150 * 1024  # a memory bound (not a timing assertion): the log is ~250 MiB
LINES = 51200  # 200 MiB of 4 KiB lines
END = b"\n\xff\xfe\xc3( caf\xc3\xa9 end-without-newline"

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: volume}
spec:
  entrypoint: main
  templates:
  - name: main
    script:
      image: python:3-alpine
      command: [python3]
      source: |
        import sys
        out = sys.stdout.buffer
        line = b"x" * 4095 + b"\\n"
        for i in range(LINES):
            out.write(line)
        out.write(bytes(range(256)) * 64)      # binary, invalid UTF-8
        out.write(b"y" * (50 << 20))           # a 50 MiB line without a newline
        out.write(END)                         # invalid UTF-8 again, and no trailing newline
        out.flush()
        sys.stderr.write("err\\n" * 1000)
        sys.exit(3)
""".replace("range(LINES)", f"range({LINES})").replace("write(END)", f"write({END!r})")

# Runs in a fresh interpreter so that its peak RSS says what argonb needed (the test process's own high-water
# mark could hide growth). Each step's growth is measured separately.
PROBE = r"""
import io, json, resource, sys
import argonb
from argonb.engine.events import NodeLog
from argonb.notebook import run_html
from argonb.notebook.recorder import RunRecorder
from argonb.store import open_store, run_recorded
from argonb.store.views import follow_logs, print_logs

def peak():  # (VmHWM, not ru_maxrss: Linux carries the parent's peak over exec into ru_maxrss (pytest's size, not ours))
    return int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])

class Sink(io.TextIOBase):  # counts what `argonb logs` prints without keeping it
    def __init__(self):
        self.chars, self.last, self.found = 0, "", 0
    def write(self, s):
        self.chars += len(s)
        self.last = (self.last + s[-200:])[-200:]
        self.found += "( caf\u00e9 end-without-newline" in s
        return len(s)

stats = {"events": 0, "max_line": 0, "streams": []}
def on_event(e):
    if isinstance(e, NodeLog):
        stats["events"] += 1
        stats["max_line"] = max(stats["max_line"], len(e.line))
        if e.stream not in stats["streams"]:
            stats["streams"].append(e.stream)

recorder = RunRecorder()
base = peak()
run = run_recorded(sys.argv[1], subscribers=[on_event, recorder.on_event], wait=True)
after_run = peak()
html = run_html(run)  # the notebook's static snapshot shows the failed pod's log tail
after_html = peak()
store = open_store()
sink = Sink()
print_logs(store, run.name, None, sink)  # `argonb logs RUN`
follow_logs(store, run.name, None, sink)  # `argonb logs -f RUN` on a finished run
after_logs = peak()
node = [n for n in run.nodes.values() if n["type"] == "Pod"][0]
tail, total = recorder.log_tail(node["id"])
print(json.dumps({**stats, "phase": run.phase, "message": node.get("message"),
                  "growth_kb": {"run": after_run - base, "html": after_html - after_run, "logs": after_logs - after_html},
                  "result": node["outputs"]["result"], "exit_code": node["outputs"]["exitCode"],
                  "tail": tail, "total": total, "html_chars": len(html), "logs_chars": sink.chars,
                  "logs_last": sink.last, "logs_found": sink.found, "pod_dir": str(run.run_dir / "pods" / node["podName"])}))
"""


def _expected_stdout_chunks():
    line = b"x" * 4095 + b"\n"
    block = line * 256
    for _ in range(LINES // 256):
        yield block
    yield bytes(range(256)) * 64
    for _ in range(50):
        yield b"y" * MIB
    yield END


def _sha_and_size(chunks) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _file_sha_and_size(path: Path) -> tuple[str, int]:
    with open(path, "rb") as fh:
        return _sha_and_size(iter(lambda: fh.read(MIB), b""))


def test_huge_output_is_bounded_in_memory_and_exact_on_disk(tmp_path):
    wf = tmp_path / "volume.yaml"
    wf.write_text(WORKFLOW)
    env = {**os.environ, "ARGONB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(wf)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)

    # the run completes, with the pod's own exit code
    assert got["phase"] == "Failed" and got["message"] == "main: Error (exit code 3)" and got["exit_code"] == "3"

    # memory stays bounded while running, showing the snapshot, and printing/following the logs
    for step, growth in got["growth_kb"].items():
        assert growth < GROWTH_LIMIT_KB, f"{step}: peak RSS grew by {growth // 1024} MiB"

    # the full log is on disk, byte for byte
    pod_dir = Path(got["pod_dir"])
    want_sha, want_size = _sha_and_size(_expected_stdout_chunks())
    assert want_size > 250 * MIB
    assert _file_sha_and_size(pod_dir / "stdout.log") == (want_sha, want_size)
    assert (pod_dir / "stderr.log").read_bytes() == b"err\n" * 1000
    assert (pod_dir / "main.log").stat().st_size == want_size + 4000

    # outputs.result: the last 256 KiB of stdout (§5.3), invalid UTF-8 replaced, no newline added
    tail = (b"y" * (RESULT_LIMIT - len(END)) + END).decode("utf-8", errors="replace")
    assert got["result"] == tail

    # every log event is bounded; the 50 MiB line arrives in MAX_LINE pieces
    assert 0 < got["max_line"] <= _Stream.MAX_LINE
    assert got["events"] >= LINES + (50 * MIB) // _Stream.MAX_LINE
    assert set(got["streams"]) == {"stdout", "stderr"}

    # the notebook keeps a tail: at most LOG_TAIL_LINES lines, each cut to LOG_LINE_CHARS
    assert got["total"] == got["events"] and len(got["tail"]) == LOG_TAIL_LINES
    assert all(len(line) <= LOG_LINE_CHARS + 80 for line in got["tail"])
    assert got["html_chars"] < 2 * MIB

    # `argonb logs` printed everything (once, then once more following), the line without a newline too
    assert got["logs_chars"] > 2 * want_size
    assert got["logs_found"] == 2 and got["logs_last"].endswith("volume: err\n")


def test_recorder_cuts_a_huge_line_and_keeps_the_count():
    from argonb.engine.events import NodeLog
    from argonb.notebook.recorder import RunRecorder

    rec = RunRecorder(log_lines=3)
    for i in range(10):
        rec.on_event(NodeLog(run_id="r", seq=i, time=0.0, node_id="n", line="z" * 1_000_000))
    tail, total = rec.log_tail("n")
    assert total == 10 and len(tail) == 3
    assert all(len(line) < LOG_LINE_CHARS + 100 and "full log is on disk" in line for line in tail)


SIDECAR = textwrap.dedent("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: noisy-sidecar-}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes: [{name: shared, emptyDir: {}}]
    container:
      image: alpine
      command: [sh, -c, "while [ ! -f /shared/done ]; do sleep 0.05; done; echo main done"]
      volumeMounts: [{name: shared, mountPath: /shared}]
    sidecars:
    - name: noisy
      image: python:3-alpine
      command: [python3, -c, "import sys, time; sys.stdout.buffer.write(b'z' * (8 << 20)); sys.stdout.flush(); open('/shared/done', 'w').close(); time.sleep(60)"]
      volumeMounts: [{name: shared, mountPath: /shared}]
""")


def test_a_sidecar_printing_a_huge_line_gives_bounded_log_events():
    import argonb
    from argonb.engine.events import NodeLog

    lines: list[int] = []
    run = argonb.run(SIDECAR, subscribers=[lambda e: isinstance(e, NodeLog) and e.stream.startswith("sidecar:")
                                           and lines.append(len(e.line))])
    run.wait(60)
    assert run.phase == "Succeeded", run.message
    pod = [n for n in run.nodes.values() if n["type"] == "Pod"][0]
    assert (run.run_dir / "pods" / pod["podName"] / "noisy.log").stat().st_size == 8 * MIB
    assert sum(lines) == 8 * MIB and max(lines) <= _Stream.MAX_LINE


def test_a_log_over_1_mib_from_one_stream_is_stored_once_as_a_hard_link(tmp_path):
    """docs/runs.md: a stream file that would be a copy of `main.log` is a hard link of it, whatever its size.
    Before the fix, a stream passing 1 MiB went "live" and was written a second time (2 x 3 MiB on disk)."""
    from argonb.backends.podlogs import PodLogs

    logs = PodLogs(str(tmp_path))
    for _ in range(3):
        logs.write("stdout", b"x" * MIB)
    logs.close()
    main, out = tmp_path / "main.log", tmp_path / "stdout.log"
    assert main.stat().st_size == 3 * MIB
    assert out.samefile(main) and main.stat().st_nlink == 2
    assert not (tmp_path / "stderr.log").exists()


def test_a_second_stream_after_a_big_first_one_gets_exact_separate_files(tmp_path):
    """When the other stream starts after more than 1 MiB, the first stream's file is copied from `main.log`
    (nothing held in memory) and both files are exact."""
    from argonb.backends.podlogs import PodLogs

    logs = PodLogs(str(tmp_path))
    first = os.urandom(MIB) * 2 + b"tail"
    logs.write("stdout", first[:MIB + 7])
    logs.write("stdout", first[MIB + 7:])
    logs.write("stderr", b"err\n")
    logs.write("stdout", b"more")
    logs.close()
    assert (tmp_path / "stdout.log").read_bytes() == first + b"more"
    assert (tmp_path / "stderr.log").read_bytes() == b"err\n"
    assert (tmp_path / "main.log").read_bytes() == first + b"err\n" + b"more"
    assert not (tmp_path / "stdout.log").samefile(tmp_path / "main.log")


PARAMS_WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: big-param}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: huge, template: write, arguments: {parameters: [{name: size, value: "268435456"}]}}
      - {name: fits, template: write, arguments: {parameters: [{name: size, value: "LIMIT"}]}}
  - name: write
    inputs: {parameters: [{name: size}]}
    container:
      image: alpine
      command: [sh, -c, "head -c {{inputs.parameters.size}} /dev/zero | tr '\\\\0' a > /tmp/out"]
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
"""

# argonb run, then what `argonb list` and `argonb get -o json` do, each step's peak RSS growth measured
PARAMS_PROBE = r"""
import io, json, resource, sys
from argonb.store import open_store, run_recorded
from argonb.cli.main import main

def peak():  # (VmHWM, not ru_maxrss: Linux carries the parent's peak over exec into ru_maxrss (pytest's size, not ours))
    return int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])

base = peak()
run = run_recorded(sys.argv[1], wait=True)
after_run = peak()
sys.stdout = io.StringIO()
main(["list"])
after_list = peak()
main(["get", run.name, "-o", "json"])
after_get = peak()
got = json.loads(sys.stdout.getvalue()[sys.stdout.getvalue().index("{"):])
sys.stdout = sys.__stdout__
nodes = {n["displayName"]: n for n in got["status"]["nodes"].values()}
print(json.dumps({"phase": run.phase, "huge": nodes["huge"], "fits_phase": nodes["fits"]["phase"],
                  "fits_len": len(nodes["fits"]["outputs"]["parameters"][0]["value"]),
                  "growth_kb": {"run": after_run - base, "list": after_list - after_run, "get": after_get - after_list}}))
"""


TASK_RESULT_LIMIT = 3145728  # kube-apiserver's request body limit, in Argo's error below
TOO_LARGE_MESSAGE = "wait: Error (exit code 64): Request entity too large: limit is 3145728"


def test_an_output_parameter_past_the_task_result_limit_is_refused_unread_s5_4(tmp_path):
    """§5.4 with Argo's bound (argonb/engine/outputlimit.py: the WorkflowTaskResult the wait container sends,
    `workflow/executor/taskresult.go`, must fit the Kubernetes API's 3 MiB request limit): a 256 MiB value ends
    the node in Error with Argo's message, and is not read whole; a value of exactly the limit is kept. Before
    the fix, the 256 MiB value was read and stored: +1 GB RSS to run, +550 MB for `list`, +1.3 GB for `get`."""
    wf = tmp_path / "params.yaml"
    wf.write_text(PARAMS_WORKFLOW.replace("LIMIT", str(TASK_RESULT_LIMIT)))
    env = {**os.environ, "ARGONB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PARAMS_PROBE, str(wf)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got["huge"]["phase"] == "Error" and got["huge"]["message"] == TOO_LARGE_MESSAGE
    assert "parameters" not in got["huge"].get("outputs", {})
    assert got["fits_phase"] == "Succeeded" and got["fits_len"] == TASK_RESULT_LIMIT
    assert got["phase"] in ("Failed", "Error")
    for step, growth in got["growth_kb"].items():
        assert growth < 100 * 1024, f"{step}: peak RSS grew by {growth // 1024} MiB"


def test_a_pod_directory_used_again_keeps_each_stream_file_exact(tmp_path):
    """A retry that runs again in the same pod directory appends to `main.log`, whose `stdout.log` is a hard
    link from the first attempt. Copying `main.log` into that link must not loop (it would append to the file
    it reads: found by the local-backend fuzz) and no stream's bytes may land twice."""
    from argonb.backends.podlogs import PodLogs

    first = PodLogs(str(tmp_path))
    first.write("stdout", b"one\n")
    first.close()
    second = PodLogs(str(tmp_path))
    second.write("stdout", b"two\n")
    second.write("stderr", b"err\n")
    second.close()
    third = PodLogs(str(tmp_path))
    third.write("stdout", b"three\n")
    third.close()
    assert (tmp_path / "main.log").read_bytes() == b"one\ntwo\nerr\nthree\n"
    assert (tmp_path / "stdout.log").read_bytes() == b"one\ntwo\nthree\n"
    assert (tmp_path / "stderr.log").read_bytes() == b"err\n"


def _write_like_a_pod(feed: Callable[[str, bytes], None], close: Callable[[], None]) -> None:
    feed("stdout", b"a" * (200 * 1024) + b"\nshort\n")  # a huge line with its newline
    feed("stderr", "é".encode() * 100_000)  # a huge line without one, multi-byte characters
    feed("stdout", b"z" * (3 * 64 * 1024 + 5))
    close()


def test_docker_and_local_write_pod_logs_with_one_writer(tmp_path):
    """Issue 17 item 4: one pod-log writer for every backend. Docker's own copy sent a huge line as one event
    (a 200 KiB line: one 200 Ki-character event); now both backends give the same bounded events and the
    same files, byte for byte."""
    from argonb.backends.docker import _Sinks
    from argonb.backends.podlogs import open_streams

    local_events: list[tuple[str, str]] = []
    logs, streams = open_streams(str(tmp_path / "local"), lambda s, line: local_events.append((s, line)))

    def close_local() -> None:
        for stream in streams.values():
            stream.close()
        logs.close()

    _write_like_a_pod(lambda name, chunk: streams[name].feed(chunk), close_local)

    docker_events: list[tuple[str, str]] = []
    (tmp_path / "docker").mkdir()
    sink = _Sinks(tmp_path / "docker", lambda s, line: docker_events.append((s, line)))
    _write_like_a_pod(sink.feed, sink.close)

    assert max(len(line) for _, line in docker_events) <= _Stream.MAX_LINE
    assert docker_events == local_events
    for name in ("main.log", "stdout.log", "stderr.log"):
        assert (tmp_path / "docker" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert sink.tail() == bytes(streams["stdout"].tail)
