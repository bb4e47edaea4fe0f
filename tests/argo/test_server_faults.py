"""Every way an Argo Server (a MOCK, tests/argo/fake_argo.py, or nothing at all) can fail, swept over every
command that talks to it: each ends in one clean error line (`argonb: error: ...`), never a traceback, and
never shows the token. Issue 15, item 9 (argo part) and item 11 (bounded reads; the token in every form)."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

import argonb
import argonb.backends.argo_client as argo_client
from argonb.backends.argo import ArgoRun, submit
from argonb.backends.argo_client import MASK, ArgoConfig, ArgoUnavailable
from argonb.cli.main import main
from argonb.errors import ArgonbError
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FAULTS, FakeArgoServer, steps_plan

REPO = Path(__file__).resolve().parents[2]
FAILING = steps_plan([("hello", "Failed", ["boom"])])
# every fault the mock can play, plus two that need no server: nothing listening, and TLS to a plain server
KINDS = [k for k in FAULTS if k not in ("huge-line", "drip")] + ["refused", "tls"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """An argo run that failed, recorded in a store (what `argonb retry/resubmit` need)."""
    home = tmp_path_factory.mktemp("home")
    with FakeArgoServer(token=TOKEN, plan=FAILING) as fake, pytest.MonkeyPatch.context() as env:
        from argonb.store import run_recorded

        env.setenv("ARGO_SERVER", fake.url)
        env.setenv("ARGO_TOKEN", TOKEN)
        run = run_recorded(HELLO, backend="argo", home=home, wait=True)
    assert run.phase == "Failed"
    return home, run.name


@pytest.fixture
def faulty(request, monkeypatch):
    """An ARGO_SERVER that fails in the way `request.param` names; the client's bounds made small."""
    kind = request.param
    monkeypatch.setattr(argo_client, "DEFAULT_TIMEOUT", 0.5, raising=False)
    monkeypatch.setattr(argo_client, "MAX_RESPONSE_BYTES", 1 << 20, raising=False)
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    if kind == "refused":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        monkeypatch.setenv("ARGO_SERVER", f"http://127.0.0.1:{port}")
        yield kind
        return
    with FakeArgoServer(token=TOKEN, fault=None if kind == "tls" else kind, huge_bytes=3 << 20) as fake:
        monkeypatch.setenv("ARGO_SERVER", f"127.0.0.1:{fake.port}" if kind == "tls" else fake.url)
        monkeypatch.setenv("ARGO_SECURE", "true")
        yield kind


def clean_error(code: int, out: str, err: str) -> str:
    """The one error line of a failed command (asserting there is nothing else)."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err and TOKEN not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("argonb: error: "), err
    assert "\x1b" not in err  # the server's terminal escapes are not passed through
    return lines[0]


def wf_file(tmp_path: Path) -> str:
    path = tmp_path / "wf.yaml"
    path.write_text(HELLO)
    return str(path)


COMMANDS = ["run --backend argo", "submit", "submit --wait", "retry --wait", "resubmit --wait"]


@pytest.mark.parametrize("faulty", KINDS, indirect=True)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_server_fault_is_one_clean_error_line_in_every_command(faulty, command, recorded, tmp_path,
                                                                     capsys):
    """The sweep of issue 15 item 9 over the CLI commands that reach the server. ARGO-SEMANTICS.md is silent on
    the server API; the bounds follow server/apiserver/argoserver.go (GRPC_MESSAGE_SIZE)."""
    home, name = recorded
    verb, *flags = command.split()
    if verb in ("retry", "resubmit"):
        argv = [verb, name, *flags, "--home", str(home)]
    else:
        argv = [verb, wf_file(tmp_path), *flags, "--home", str(tmp_path / "home")]
    code = main(argv)
    captured = capsys.readouterr()
    line = clean_error(code, captured.out, captured.err)
    assert ("Argo server" in line) or ("Argo server at" in line), line


@pytest.mark.parametrize("faulty", KINDS, indirect=True)
def test_every_server_fault_is_an_argonb_error_from_the_python_api(faulty):
    for start in (lambda: argonb.run(HELLO, backend="argo"), lambda: submit(HELLO, follow=False)):
        with pytest.raises(ArgonbError) as info:
            start()
        text = str(info.value)
        assert "\n" not in text and "\x1b" not in text and TOKEN not in text
        assert info.value.__cause__ is None or isinstance(info.value.__cause__, ArgonbError)


@pytest.mark.parametrize("faulty", ["json-500", "html-502", "hang", "cut-body", "deep-json", "wrong-shape",
                                    "redirect-loop", "tls"], indirect=True)
def test_every_server_fault_is_one_line_in_the_notebook(faulty):
    from IPython.testing.globalipapp import get_ipython, start_ipython

    from argonb.notebook.errors import WorkflowCellError

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "argonb")
    result = ip.run_cell("%%workflow --backend argo\n" + HELLO)
    assert isinstance(result.error_in_exec, WorkflowCellError), result.error_in_exec
    lines = result.error_in_exec._render_traceback_()
    assert len(lines) == 1 and TOKEN not in lines[0] and "Argo server" in lines[0] and "\x1b[31mretry" not in lines[0]


def test_a_stop_the_server_refuses_is_one_warning_and_the_request_is_handled(monkeypatch, tmp_path, caplog):
    """`argonb stop RUN` for an argo run: the owning process asks the server, which fails; it logs one line
    and does not retry the request forever (before: a traceback on every poll of the store)."""
    from argonb.store import open_store, run_recorded

    with FakeArgoServer(token=TOKEN, fault_on=lambda method, path: method == "PUT") as fake:
        monkeypatch.setenv("ARGO_SERVER", fake.url)
        monkeypatch.setenv("ARGO_TOKEN", TOKEN)
        run = run_recorded(HELLO, backend="argo", home=tmp_path)
        try:
            fake.fault = "json-500"
            deadline = time.monotonic() + 10
            while not run.nodes:
                assert time.monotonic() < deadline
                run.wait(0.01)
            fake.hold(run.name)
            with open_store(tmp_path) as store:
                while True:
                    try:
                        store.get_run(run.name)
                        break
                    except LookupError:
                        assert time.monotonic() < deadline
                        run.wait(0.02)
                store.request(run.name, "stop")
                while not store.request_handled(run.name):
                    assert time.monotonic() < deadline, "the stop request was never handled"
                    run.wait(0.05)
        finally:
            fake.hold(run.name, False)
            run.wait(10)
    warnings = [r for r in caplog.records if "stop of" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert "500" in warnings[0].getMessage() and TOKEN not in caplog.text


# ---- item 11: bounded reads --------------------------------------------------------------------------------
# VmHWM, not ru_maxrss: Linux carries the parent's peak over exec into ru_maxrss (pytest's size, not ours)
RSS_PROBE = """
import resource, sys
from argonb.cli.main import main
code = main(sys.argv[1:])
print("RSS_KB", int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]), file=sys.stderr)
sys.exit(code)
"""


def _submit_in_a_child(tmp_path: Path, url: str) -> tuple[int, str, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ARGO_TOKEN": TOKEN}
    proc = subprocess.run([sys.executable, "-c", RSS_PROBE, "submit", wf_file(tmp_path), "--server", url],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    lines = proc.stderr.strip().splitlines()
    rss = int(lines[-1].split()[1]) if lines and lines[-1].startswith("RSS_KB") else -1
    return proc.returncode, "\n".join(lines[:-1]), rss


@pytest.mark.parametrize("kind", ["huge-error", "huge-ok"])
def test_a_1_gib_answer_is_refused_with_bounded_memory(kind, tmp_path):
    """A 1 GiB body (error or success, chunked): the client reads at most its bound (64 KiB of an error, the
    Argo Server's own 100 MiB GRPC_MESSAGE_SIZE of a success: server/apiserver/argoserver.go) and stops; peak
    RSS of the whole `argonb submit` stays far below the body (before: 1 GiB of error body took 3.2 GB)."""
    with FakeArgoServer(token=TOKEN, fault=kind, huge_bytes=1 << 30) as fake:
        code, err, rss_kb = _submit_in_a_child(tmp_path, fake.url)
        sent = fake.huge_sent
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("argonb: error: "), err
    assert "Traceback" not in err
    assert 0 < rss_kb < 300 * 1024, f"peak RSS {rss_kb} KiB"
    assert sent < 1 << 30  # the client hung up long before the end


def test_a_server_dripping_an_answer_is_cut_off():
    """Each read arrives within the timeout, the whole answer never: reading one answer has a deadline too
    (10 request timeouts), so the client is not held for the 6 days 1 MiB at 20 B/s would take."""
    with FakeArgoServer(token=TOKEN, fault="drip") as fake:
        client = argo_client.ArgoClient(ArgoConfig.from_env(fake.url, token=TOKEN, timeout=0.2))
        started = time.monotonic()
        with pytest.raises(ArgoUnavailable) as info:
            client.get_workflow("x")
        took = time.monotonic() - started
    assert "timed out" in str(info.value) and took < 30


def test_a_stream_line_that_never_ends_is_refused(monkeypatch):
    """Watch and log streams are read line by line; a line past the bound is an ArgoError, not a growing
    buffer (Argo itself cuts log lines at 1 MiB: util/logs/workflow-logger.go maxTokenLength)."""
    with FakeArgoServer(token=TOKEN, fault="huge-line", huge_bytes=64 << 20,
                        fault_on=lambda method, path: path.endswith("/log")) as fake:
        client = argo_client.ArgoClient(ArgoConfig.from_env(fake.url, token=TOKEN))
        created = submit(HELLO, server=fake.url, token=TOKEN, follow=False)
        with pytest.raises(argo_client.ArgoError) as info, client.logs(created.name, timeout=5) as stream:
            list(stream)
        sent = fake.huge_sent
    assert "longer than" in str(info.value)
    assert sent < 16 << 20  # stopped near the 6 MiB log-line bound, not at the end of the 64 MiB line


# ---- item 11: the token in any form ------------------------------------------------------------------------
def echoes(token: str) -> dict[str, str]:
    return {"exact": token, "lower": token.lower(), "upper": token.upper(),
            "base64": base64.b64encode(token.encode()).decode(),
            "base64 of user:token": base64.b64encode(f"argo:{token}".encode()).decode(),
            "base64url": base64.urlsafe_b64encode(f"x{token}".encode()).decode().rstrip("="),
            "url": quote(f"Bearer {token}", safe=""), "json": json.dumps(f"Bearer {token}")[1:-1],
            "truncated": token[:8] + "...", "truncated 12": token[:12]}


MIXED = "S3cr3t-T0ken/Value+xyz"  # upper and lower case differ; URL-quoting changes it
TRICKY = 'Tok+en/with"quote<&>\\and-more-0123456789'  # what URL, JSON and Go escape differently


@pytest.mark.parametrize("token", [MIXED, TRICKY])
@pytest.mark.parametrize("form", list(echoes(TOKEN)))
@pytest.mark.parametrize("status", [400, 500])
def test_a_server_echo_of_the_token_in_any_form_is_masked(token, form, status, tmp_path, caplog, capsys):
    """The server echoes the token in its error: masked in the exception (str, repr), the CLI's error line
    (a diagnostic for 400) and the log."""
    caplog.set_level(logging.DEBUG)
    echo = echoes(token)[form]
    with FakeArgoServer(token=token, reject=lambda kind, obj: (status, f"token {echo} is not valid")) as fake:
        with pytest.raises(ArgonbError) as info:
            submit(HELLO, server=fake.url, token=token, follow=False)
        code = main(["submit", wf_file(tmp_path), "--server", fake.url, "--token", token])
    err = capsys.readouterr().err
    assert code == 2
    for text in (str(info.value), repr(info.value), err, caplog.text):
        assert echo not in text, (form, text)
    assert MASK in str(info.value) and MASK in err


@pytest.mark.parametrize("form", list(echoes(TOKEN)))
def test_an_echoed_token_never_reaches_the_cli_or_the_run_store(form, tmp_path, monkeypatch, capsys):
    """End to end: the workflow's status message carries the echo; `argonb submit --wait` prints and stores
    only the mask."""
    echo = echoes(TOKEN)[form]
    plan = steps_plan([("hello", "Failed", [f"log mentions {echo}"])], message=f"denied for {echo}")
    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        code = main(["submit", wf_file(tmp_path), "--wait", "--server", fake.url, "--token", TOKEN,
                     "--home", str(tmp_path / "home")])
    captured = capsys.readouterr()
    assert code == 1
    assert echo not in captured.out + captured.err and MASK in captured.out + captured.err
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert echo.encode() not in path.read_bytes(), path


def test_unreadable_stream_lines_are_masked():
    config = ArgoConfig.from_env("http://127.0.0.1:9", token=TOKEN)
    stream = argo_client.Stream.__new__(argo_client.Stream)
    stream._config, stream._path, stream._max_line = config, "/x", 1 << 20
    stream._closed = __import__("threading").Event()
    stream._lines = lambda: iter([f"not json {TOKEN.upper()}".encode()])
    with pytest.raises(argo_client.ArgoError) as info:
        list(stream)
    assert TOKEN.upper() not in str(info.value) and MASK in str(info.value)


def test_errors_stay_argonb_errors_and_one_line():
    """Helpers the sweep relies on: one_line flattens control characters; ArgoUnavailable is an ArgonbError."""
    assert argo_client.one_line("a\n\x1b[31mb\x9bc\r\n", 100) == "a [31mb c"
    assert argo_client.one_line("x" * 50, 10) == "x" * 10 + "..."
    assert issubclass(ArgoUnavailable, ArgonbError) and ArgoRun.backend == "argo"


# ---- random answers ----------------------------------------------------------------------------------------
def _random_answer(rng: random.Random) -> bytes:
    """A random HTTP answer: garbage, odd status lines, lying or broken framing headers, odd JSON."""
    status = rng.choice([200, 201, 204, 301, 302, 400, 401, 404, 409, 429, 500, 502, 503, 599, 600, 99, 999])
    bodies = [b"", b"{}", b"null", b"[]", b'"text"', b"{" * rng.randint(1, 5000), b"\xff\xfe\x00garbage",
              json.dumps({"metadata": rng.choice([None, 1, "x", [], {"name": 5}]),
                          "status": rng.choice([None, "x", {"nodes": rng.choice([1, [], {"a": 1}, {"a": {}}])}])}
                         ).encode(),
              json.dumps({"code": rng.choice([13, "x", None]), "message": rng.choice(["a\nb\x1b[2J", 7, None])}
                         ).encode(),
              bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))]
    body = rng.choice(bodies)
    if rng.random() < 0.1:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))  # not HTTP at all
    head = [f"HTTP/1.1 {status} X".encode() if rng.random() > 0.05 else b"HTTP/9 abc"]
    framing = rng.choice(["length", "wrong-length", "chunked", "bad-chunk", "none", "negative", "text"])
    if framing == "length":
        head.append(f"Content-Length: {len(body)}".encode())
    elif framing == "wrong-length":
        head.append(f"Content-Length: {len(body) + rng.randint(1, 1000)}".encode())
    elif framing == "negative":
        head.append(b"Content-Length: -5")
    elif framing == "text":
        head.append(b"Content-Length: many")
    elif framing in ("chunked", "bad-chunk"):
        head.append(b"Transfer-Encoding: chunked")
        size = f"{len(body):x}".encode() if framing == "chunked" else b"zz"
        body = size + b"\r\n" + body + b"\r\n0\r\n\r\n"
    if rng.random() < 0.2:
        head.append(b"Location: " + rng.choice([b"/", b"http://elsewhere/", b"\x00"]))
    if rng.random() < 0.05:
        head.append(b"X-Long: " + b"a" * 70000)  # past http.client's header line limit
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def test_random_answers_are_a_dict_or_an_argonb_error(monkeypatch):
    """300 random answers (seeded) to GET and POST: the client returns a JSON object or raises an ArgonbError
    with one line of text; nothing else escapes."""
    rng = random.Random(15)
    answers: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(answers.pop(0) if answers else b"")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setattr(argo_client, "DEFAULT_TIMEOUT", 0.5, raising=False)
    client = argo_client.ArgoClient(ArgoConfig.from_env(f"http://127.0.0.1:{port}", token=TOKEN, timeout=0.5))
    try:
        for case in range(300):
            answers.append(_random_answer(rng))
            try:
                result = client.get_workflow("x") if case % 2 else client.create_workflow({"metadata": {}})
            except ArgonbError as exc:
                assert "\n" not in str(exc) and "\x1b" not in str(exc), (case, str(exc))
            else:
                assert isinstance(result, dict), case
    finally:
        listener.close()
