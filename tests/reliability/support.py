"""Shared helpers for the reliability suite: real Argo YAML seeds, mutation strategies, a tiny fake backend,
and process-counting helpers (pgrep on unique command lines)."""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import subprocess
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from argonb.engine.backend import LogSink, PodRequest, PodResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "spec" / "fixtures"


# ---- seeds ------------------------------------------------------------------------------------------------
def _engine_test_strings() -> list[str]:
    """Workflow YAML written inline in tests/engine (string constants that look like a Workflow)."""
    out = []
    for path in sorted((ROOT / "tests" / "engine").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "kind:" in node.value \
                    and "templates:" in node.value:
                out.append(textwrap.dedent(node.value))
    return out


FIXTURE_SEEDS = [p.read_text() for p in sorted(FIXTURES.glob("*.yaml"))]
ENGINE_SEEDS = _engine_test_strings()
SEEDS = FIXTURE_SEEDS + ENGINE_SEEDS + [(ROOT / "examples" / "build-push-deploy.yaml").read_text()]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SEED_DOCS = [list(yaml.load_all(s, Loader=_Loader)) for s in SEEDS]  # parsed once; examples mutate copies


def dump(docs: list[Any]) -> str | None:
    """YAML text for mutated documents (None if a mutation produced something YAML cannot write)."""
    try:
        return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None

# Values that poke at the template engine, expressions, numbers and odd text.
NASTY_STRINGS = [
    "", " ", "{{", "}}", "{{}}", "{{ }}", "{{inputs.parameters.x}}", "{{workflow.parameters.missing}}",
    "{{steps.nope.outputs.result}}", "{{tasks.a.outputs.result}}", "{{item}}", "{{item.k}}", "{{=", "{{=}}",
    "{{=1/0}}", "{{=sprig.fail('boom')}}", "{{=jsonpath('{', '$.a')}}", "{{=asInt('x')}}", "{{=nil.x}}",
    "{{=toJson(workflow)}}", "{{workflow.name}}", "{{pod.name}}", "{{retries}}", "a && ||", "((((", "0", "-1",
    "1e999", "NaN", "true", "null", "[]", "{}", "[1, 2", '{"a": [1, {"b": 2}]}', "main", "whalesay",
    "\u00e9\u00e8\u4e2d\u6587\U0001f600", "\x00", "\ud7ff", "x" * 5000, "../../etc/passwd", "/etc/passwd",
    "$(echo hi)", "`id`", "; rm -rf /tmp/never", "line1\nline2", "\t\r\n", "%s%n", "\\", "'", '"',
    "3s", "-5s", "1h", "999999999999999999999", "0.000001", "Always", "OnFailure", "Never",
]
# regex bombs and oversize values: each must end in a located diagnostic, a node Error or a result, fast
NASTY_STRINGS += [
    "{{='" + "a" * 30 + "!' matches '^(a+)+$'}}", "'" + "a" * 30 + "!' =~ '^(a+)+$'", "{{='a' matches '(?=a)'}}",
    "{{=sprig.regexReplaceAll('(a+)+$', '" + "a" * 30 + "!', 'x')}}", "{{=sprig.repeat(1000000000, 'x')}}",
    "{{=sprig.until(100000000)}}", "{{=len(1..100000000)}}", "{{=toJson(map(1..400000, sprig.repeat(100000, 'x')))}}",
]
# small numbers (loop counts stay cheap) and huge ones (past every limit)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 64), st.sampled_from([2**31, 10**12, 2**63]),
                    st.floats(allow_nan=True),
                    st.sampled_from(NASTY_STRINGS), st.text(max_size=20))
GARBAGE = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=6), SCALARS, max_size=2))
PARAM_VALUES = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=40),
                         st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=200))


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def mutate(data: Any, draw: Any, max_mutations: int = 4, gentle: bool = False) -> Any:
    """Mutate a parsed YAML document in place: delete, retype, rename, insert, or (gentle) change a scalar."""
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            return draw(GARBAGE)
        if gentle:  # scalars only: keeps the structure valid more often, so the engine gets to run it
            paths = [p for p in paths if not isinstance(_get(data, p), (dict, list))] or paths
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        key = path[-1]
        actions = ["scalar"] if gentle else ["delete", "retype", "rename", "insert", "scalar"]
        action = draw(st.sampled_from(actions))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(GARBAGE)
        elif action == "scalar":
            parent[key] = draw(SCALARS)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(GARBAGE)
        else:
            parent.insert(key, draw(GARBAGE))
    return data


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def text_mutate(text: str, draw: Any) -> str:
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["truncate", "insert", "replace"]))
        junk = draw(st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(NASTY_STRINGS[:30])))
        if action == "truncate":
            text = text[:pos]
        elif action == "insert":
            text = text[:pos] + junk + text[pos:]
        else:
            text = text[:pos] + junk + text[pos + len(junk):]
    return text


def declared_parameter_names(doc: Any) -> list[str]:
    try:
        return [str(p.get("name")) for p in doc["spec"]["arguments"]["parameters"] if isinstance(p, dict)]
    except (KeyError, TypeError, AttributeError):
        return []


# ---- a tiny, fast backend ---------------------------------------------------------------------------------
class FakeBackend:
    """Runs no process: prints a few lines, writes the files the pod declares, exits as `mode` says.
    Deterministic for a given request, so hypothesis can replay an example."""

    name = "fake"

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.calls = 0

    def check(self) -> str | None:
        return None

    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult:
        self.calls += 1
        on_log("stdout", f"pod {request.node_name}")
        on_log("stderr", "\ufffd not utf-8 \x00")
        for path in request.mapped_paths:
            target = request.host_path(path)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("1")
        digest = hashlib.sha256(request.node_name.encode("utf-8", "surrogatepass")).digest()[0]
        if self.mode == "fail" or (self.mode == "mixed" and digest % 3 == 0):
            return PodResult(exit_code=1, stdout_tail=b"failed\n")
        if self.mode == "error" or (self.mode == "mixed" and digest % 3 == 1):
            return PodResult(exit_code=None, error="fake backend: infrastructure error")
        if self.mode == "cancel-aware" and cancel.wait(0.01):
            return PodResult(exit_code=137, cancelled=True)
        return PodResult(exit_code=0, stdout_tail=b'{"a": 1}\n' if digest % 2 else b"hello\n\xff\xfe")


class RaisingBackend(FakeBackend):
    """A backend whose `run` raises: an exception inside the engine's worker."""

    name = "raising"

    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult:
        raise RuntimeError("backend exploded")


class TracebackCatcher(logging.Handler):
    """Collects every log record that carries an exception (a traceback argonb caught and logged)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def __enter__(self) -> TracebackCatcher:
        logging.getLogger("argonb").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("argonb").removeHandler(self)

    def formatted(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}\n{logging.Formatter().formatException(r.exc_info)}"
                for r in self.records if r.exc_info]


# ---- processes --------------------------------------------------------------------------------------------
def marker() -> str:
    """A unique, valid `sleep` argument: `sleep <marker>` is a greppable command line."""
    return f"{300 + uuid.uuid4().int % 600}.{uuid.uuid4().int % 10**6:06d}1"


def alive(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    me = os.getpid()
    pids = []
    for pid in map(int, out):
        if pid == me:
            continue
        try:  # pgrep may match itself's shell or a zombie: count only live, non-zombie processes
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2:].split()[:1] == ["Z"]:
            continue
        pids.append(pid)
    return pids


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def wait_gone(pattern: str, timeout: float = 15.0) -> list[int]:
    wait_until(lambda: not alive(pattern), timeout)
    return alive(pattern)


def kill_all(pattern: str) -> None:
    """Test cleanup: kill what a failed assertion left behind (only our own unique markers)."""
    for pid in alive(pattern):
        try:
            os.kill(pid, 9)
        except OSError:
            pass
