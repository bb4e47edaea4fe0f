"""argonb benchmark harness: raw-subprocess baseline vs argonb (library API and CLI), side by side, interleaved.

    python bench/run.py            # full suite (~5-10 min): 4 peer-bench shapes at P=4 and P=1, 10k/seq5000/nest6
    python bench/run.py --quick    # ~1-2 min: the 4 peer-bench shapes at P=4 (+ nest6), extras, 3 reps

Every measurement is a fresh process (interpreter start included in the end-to-end times), under `wait4` so its
CPU time and peak RSS are its own. In each repetition the runners of one shape take turns (rotating order), so
baseline and argonb see the same machine load; the ratios (x) compare runs of the same repetition set.

Runners
  baseline   bench/baseline.py: subprocess.run(capture_output=True) on a P-thread pool + dependency counters
  lib        bench/lib_runner.py: argonb.run(text, home=...).wait(), local backend, validation on; "in-process"
             time excludes interpreter start and imports
  cli        `argonb run FILE --home H` (stdout to a file), process start to exit: parse, lint, run, run store,
             log printing, final table
  dask/doit/luigi  only with --peers DIR (../shared/peer-bench copy whose `bench.py setup` venvs exist)

Writes bench/results/latest.jsonl (every measurement) and bench/RESULTS.md (medians), and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import shapes  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PEERS = ("dask", "doit", "luigi")
SHARED_PEERS = {  # from ../shared/peer-bench/RESULTS.md (end-to-end wall s), NOT measured by this harness
    ("fan200", 4): {"dask": 0.40, "doit": 0.33, "baseline": 0.19},
    ("fan1000", 4): {"dask": 1.04, "doit": 1.16, "baseline": 0.82},
    ("chain200", 4): {"dask": 0.47, "doit": 0.37, "baseline": 0.25},
    ("diamond10x50", 4): {"dask": 0.73, "doit": 0.62, "baseline": 0.40},
    ("fan200", 1): {"dask": 0.45, "doit": 0.34, "baseline": 0.26},
    ("fan1000", 1): {"dask": 1.44, "doit": 1.30, "baseline": 1.20},
    ("chain200", 1): {"dask": 0.49, "doit": 0.34, "baseline": 0.24},
    ("diamond10x50", 1): {"dask": 0.88, "doit": 0.74, "baseline": 0.55},
}


# ---- process measurement -----------------------------------------------------------------------------------

def _busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def measure(argv: list[str], *, stdout_path: str | None = None, env: dict | None = None,
            timeout: float = 600) -> dict:
    """Run argv to completion; process start->exit wall, CPU of its process tree, peak RSS, foreign CPU."""
    os.sync()  # every measurement starts with the earlier ones' files written back
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    busy0 = _busy_seconds()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    busy = _busy_seconds() - busy0
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = b"" if stdout_path else proc.stdout.read()  # type: ignore[union-attr]
    stderr = proc.stderr.read() if proc.stderr else b""  # type: ignore[union-attr]
    if stdout_path:
        out.close()  # type: ignore[union-attr]
    cpu = ru.ru_utime + ru.ru_stime
    return {"outer_wall_s": wall, "cpu_s": cpu, "maxrss_kb": ru.ru_maxrss, "rc": proc.returncode,
            "foreign_cores": max(0.0, (busy - cpu) / wall) if wall > 0 else 0.0,
            "stdout": stdout.decode(errors="replace"), "stderr": stderr.decode(errors="replace")[-2000:]}


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def argonb_cli() -> list[str]:
    """The installed console script next to this interpreter (not a pyenv shim), else `python -m`."""
    script = Path(sys.executable).parent / "argonb"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "argonb.cli.main"]


# ---- runners -----------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, workdir: Path, peers_dir: Path | None):
        self.workdir = workdir
        self.peers_dir = peers_dir
        self.records: list[dict] = []
        self.homes: list[Path] = []
        self.cli = argonb_cli()

    def yaml(self, shape: str, p: int) -> Path:
        path = self.workdir / "workflows" / f"{shape}.p{p}.yaml"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(shapes.workflow_yaml(shape, p))
        return path

    def fresh_home(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="home-", dir=self.workdir))

    def run_one(self, runner: str, shape: str, p: int, rep: int) -> dict:
        expected = shapes.expected_ids(shape)
        rec: dict = {"runner": runner, "shape": shape, "P": p, "rep": rep, "n": len(expected)}
        home = None
        if runner == "baseline":
            m = measure([sys.executable, str(HERE / "baseline.py"), shape, str(p)])
            inner = last_json(m["stdout"])
            rec.update(inner_wall_s=inner.get("inner_wall_s"), ok=inner.get("ok", 0))
        elif runner == "lib":
            home = self.fresh_home()
            m = measure([sys.executable, str(HERE / "lib_runner.py"), str(self.yaml(shape, p)), shape, str(home)])
            inner = last_json(m["stdout"])
            rec.update(inner_wall_s=inner.get("inner_wall_s"), ok=inner.get("ok", 0), phase=inner.get("phase"))
        elif runner == "cli":
            home = self.fresh_home()
            log = self.workdir / "cli-stdout.txt"
            m = measure([*self.cli, "run", str(self.yaml(shape, p)), "--home", str(home)], stdout_path=str(log))
            rec.update(ok=_verify_cli(log.read_text(errors="replace"), expected))
        else:  # a peer from ../shared/peer-bench
            assert self.peers_dir is not None
            wd = Path(tempfile.mkdtemp(prefix=f"{runner}-", dir=self.workdir))
            py = self.peers_dir / ".venvs" / runner / "bin" / "python"
            m = measure([str(py), str(self.peers_dir / "runners" / f"{runner}_runner.py"), shape, str(p), str(wd)])
            inner = last_json(m["stdout"])
            rec.update(inner_wall_s=inner.get("inner_wall_s"), ok=inner.get("ok", 0))
            shutil.rmtree(wd, ignore_errors=True)
        if home is not None:
            self.homes.append(home)  # deleted at the end: deleting 10,000 pod directories now would keep
            # the filesystem busy (journal, discard) during the next measurement, which the baseline never feels
        m.pop("stdout")
        if m["rc"] == 0 and rec.get("ok") == rec["n"]:
            m.pop("stderr")  # kept when something failed or a task's output was wrong
        rec.update(m)
        self.records.append(rec)
        return rec

    def peers(self) -> list[str]:
        if not self.peers_dir:
            return []
        return [p for p in PEERS if (self.peers_dir / ".venvs" / p / "bin" / "python").exists()]


def _verify_cli(text: str, expected: list[str]) -> int:
    """Tasks whose log line (`<node>: <line>` printed by `argonb run`) is their id, each id once."""
    got = Counter(line.partition(": ")[2] for line in text.splitlines() if ": " in line)
    return sum(min(got[k], c) for k, c in Counter(expected).items())


# ---- extras ------------------------------------------------------------------------------------------------

SMALL_YAML = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine:3.20
        command: [sh, -c]
        args: ["echo hello"]
"""


def extras(bench: Bench, reps: int) -> dict:
    out: dict = {}
    small = bench.workdir / "small.yaml"
    small.write_text(SMALL_YAML)
    for label, argv in (("version", [*bench.cli, "--version"]), ("lint_small", [*bench.cli, "lint", str(small)])):
        walls = [measure(argv)["outer_wall_s"] for _ in range(max(5, reps))]
        out[f"cold_{label}_s"] = statistics.median(walls)
    home = bench.fresh_home()
    m = measure([sys.executable, str(HERE / "extras.py"), "lintplan", str(bench.yaml("fan10000", 4)), "10000",
                 str(home)])
    out["lintplan"] = {**last_json(m["stdout"]), "maxrss_kb": m["maxrss_kb"]}
    bench.homes.append(home)
    home = bench.fresh_home()
    m = measure([sys.executable, str(HERE / "extras.py"), "latency", str(home)])
    out["latency"] = last_json(m["stdout"])
    bench.homes.append(home)
    return out


# ---- report ------------------------------------------------------------------------------------------------

def med(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(records: list[dict]) -> dict:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["shape"], r["P"], r["runner"])].append(r)
    summary = {}
    for key, rs in groups.items():
        summary[key] = {
            "n": rs[0]["n"],
            "outer": med([r["outer_wall_s"] for r in rs]),
            "inner": med([r.get("inner_wall_s") for r in rs]),
            "cpu": med([r["cpu_s"] for r in rs]),
            "rss_mib": max(r["maxrss_kb"] for r in rs) / 1024,
            "foreign": med([r["foreign_cores"] for r in rs]),
            "ok": min(r.get("ok") or 0 for r in rs),
            "reps": len(rs),
            "failed": sum(1 for r in rs if r["rc"] != 0),
        }
    return summary


def _fmt(s: float | None, n: int) -> str:
    return "-" if s is None else f"{s:.2f} s · {s / n * 1000:.2f}"


def _x(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}×"


def compile_argonb() -> None:
    """Byte-compile argonb first, as installing a wheel does (pip compiles by default): an editable install
    leaves that to the first import, and with PYTHONDONTWRITEBYTECODE=1 (set on these machines) every
    measured `argonb run` would compile the whole package again (~0.1 s per start)."""
    import compileall

    import argonb

    compileall.compile_dir(str(Path(argonb.__file__).parent), quiet=1)


def render(summary: dict, extra: dict, meta: dict, peers: list[str]) -> str:
    lines = [
        "# argonb benchmark results",
        "",
        f"Generated by `python bench/run.py{meta['args']}` on {meta['when']} ({meta['machine']}). "
        f"Median of {meta['reps']} reps; every measurement is a fresh process. argonb is byte-compiled first, "
        "as a wheel install leaves it.",
        "",
        "**The machine is shared** with other engineers' test runs: baseline and argonb runs are interleaved "
        "(rotating order within each repetition) so they see the same load, and ratios (×) are taken between "
        "medians of the same run. `foreign` = median CPU cores used by other processes during the runs.",
        "",
        "Columns: wall s · ms/task (median). *e2e* = process start to exit; *in-proc* = inside the process, "
        "no interpreter start or imports. lib × = argonb lib in-proc / baseline in-proc; "
        "CLI × = `argonb run` e2e / baseline e2e. RSS = peak RSS of the measured process (MiB).",
        "",
    ]
    ps = sorted({k[1] for k in summary}, reverse=True)
    for p in ps:
        lines += [f"## P = {p}", "",
                  "| shape | N | baseline e2e | baseline in-proc | argonb lib in-proc | lib × | argonb CLI e2e | CLI × "
                  "| RSS base/lib/CLI | CPU ms/task base/lib/CLI | foreign | ok |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for shape in shapes.ALL_SHAPES:
            b, lib, cli = (summary.get((shape, p, r)) for r in ("baseline", "lib", "cli"))
            if not b:
                continue
            n = b["n"]
            oks = "/".join(str(x["ok"]) if x else "-" for x in (b, lib, cli))
            rss = "/".join(f"{x['rss_mib']:.0f}" if x else "-" for x in (b, lib, cli))
            cpu = "/".join(f"{x['cpu'] / n * 1000:.2f}" if x else "-" for x in (b, lib, cli))
            foreign = max(x["foreign"] for x in (b, lib, cli) if x)
            lines.append(
                f"| {shape} | {n} | {_fmt(b['outer'], n)} | {_fmt(b['inner'], n)} | "
                f"{_fmt(lib and lib['inner'], n)} | {_x(lib and lib['inner'], b['inner'])} | "
                f"{_fmt(cli and cli['outer'], n)} | {_x(cli and cli['outer'], b['outer'])} | {rss} | {cpu} | "
                f"{foreign:.2f} | {oks} |")
        lines.append("")
        if peers:
            lines += [f"Peers measured in this run (P = {p}, e2e wall · ms/task · × baseline e2e):", "",
                      "| shape | " + " | ".join(peers) + " |", "|---|" + "---|" * len(peers)]
            for shape in shapes.MAIN_SHAPES:
                b = summary.get((shape, p, "baseline"))
                if not b:
                    continue
                cells = []
                for peer in peers:
                    s = summary.get((shape, p, peer))
                    cells.append("-" if not s else f"{_fmt(s['outer'], s['n'])} · {_x(s['outer'], b['outer'])}")
                lines.append(f"| {shape} | " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["## Peers (from the shared peer-bench run, NOT this run)", "",
              "Ratios of the fastest peers to *their* baseline in ../shared/peer-bench/RESULTS.md (same shapes, same "
              "machine type, another day), next to argonb CLI / baseline from this run:", "",
              "| shape | P | dask × | doit × | argonb CLI × (this run) |", "|---|---|---|---|---|"]
    for (shape, p), vals in SHARED_PEERS.items():
        b, cli = summary.get((shape, p, "baseline")), summary.get((shape, p, "cli"))
        ours = _x(cli and cli["outer"], b and b["outer"])
        lines.append(f"| {shape} | {p} | {vals['dask'] / vals['baseline']:.2f}× | "
                     f"{vals['doit'] / vals['baseline']:.2f}× | {ours} |")
    lines.append("")
    lines += ["## Scale and start-up", "", "| measurement | value | target |", "|---|---|---|"]
    for runner, label in (("baseline", "baseline"), ("lib", "argonb lib (in-proc)"), ("cli", "argonb CLI (e2e)")):
        t1 = summary.get(("fan1000", 4, runner))
        t10 = summary.get(("fan10000", 4, runner))
        if t1 and t10:
            key = "inner" if runner == "lib" else "outer"
            lines.append(f"| t(10k)/t(1k), fan-out P=4, {label} | {t10[key] / t1[key]:.2f} | ≤ 11 |")
    for runner, label in (("lib", "argonb lib"), ("cli", "argonb CLI")):
        t10 = summary.get(("fan10000", 4, runner))
        if t10:
            lines.append(f"| peak RSS, fan-out 10,000, {label} | {t10['rss_mib']:.0f} MiB | ≤ 300 MiB |")
    if extra:
        lp = extra.get("lintplan") or {}
        if lp:
            lines.append(f"| lint of a 10,000-task DAG (parse + validate) | {lp.get('lint_s', 0):.3f} s | |")
            lines.append(f"| lint + plan of a 10,000-task DAG (`argonb.run()` until all 10,000 nodes exist) | "
                         f"{lp.get('lint_plan_s', 0):.3f} s | < 1 s |")
        lines.append(f"| `argonb --version` cold start | {extra.get('cold_version_s', 0):.3f} s | < 0.5 s |")
        lines.append(f"| `argonb lint small.yaml` cold start | {extra.get('cold_lint_small_s', 0):.3f} s | < 0.5 s |")
        lat = extra.get("latency") or {}
        if lat:
            lines.append(f"| first pod running after `argonb.run()` returns (warm, 1-pod workflow) | "
                         f"{lat.get('first_pod_after_return_ms', 0):.1f} ms | < 100 ms |")
            lines.append(f"| `argonb.run()` call itself (parse, lint, start; warm) | {lat.get('run_call_ms', 0):.1f} ms | |")
    lines.append("")
    lines.append(f"CLI command: `{' '.join(meta['cli'])}` (the console script, not a pyenv shim).")
    return "\n".join(lines) + "\n"


# ---- main --------------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 peer-bench shapes at P=4 + nest6, 3 reps (~1-2 min)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    ap.add_argument("--shapes", default=None, help="comma-separated shapes (default: all, or the quick set)")
    ap.add_argument("--ps", default=None, help="comma-separated parallelism values (default 4,1; quick: 4)")
    ap.add_argument("--runners", default="baseline,lib,cli", help="baseline,lib,cli (peers are added with --peers)")
    ap.add_argument("--peers", default=None, metavar="DIR", help="a peer-bench copy with .venvs (dask/doit/luigi)")
    ap.add_argument("--no-extras", action="store_true", help="skip cold start / lint+plan / latency")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args()
    reps = args.reps or 3
    if args.shapes:
        plan_shapes = args.shapes.split(",")
    else:
        plan_shapes = list(shapes.MAIN_SHAPES) + (["nest6"] if args.quick else list(shapes.EXTRA_SHAPES))
    ps = [int(p) for p in args.ps.split(",")] if args.ps else ([4] if args.quick else [4, 1])
    plan = []
    for p in ps:
        for shape in plan_shapes:
            if p != 4 and shape in shapes.EXTRA_SHAPES and not args.shapes:
                continue  # 10k / seq5000 / nest6 at P=4 only (keeps the full suite under ~10 min)
            plan.append((shape, p))
    compile_argonb()
    workdir = Path(tempfile.mkdtemp(prefix="argonb-bench-"))
    bench = Bench(workdir, Path(args.peers).resolve() if args.peers else None)
    runners = args.runners.split(",")
    peers = bench.peers()
    started = time.time()
    try:
        for rep in range(reps):
            for shape, p in plan:
                order = runners + ([x for x in peers] if shape in shapes.MAIN_SHAPES else [])
                k = rep % len(order)
                for runner in order[k:] + order[:k]:
                    r = bench.run_one(runner, shape, p, rep)
                    inner = f" in-proc {r['inner_wall_s']:.3f}s" if r.get("inner_wall_s") else ""
                    print(f"[{time.time() - started:6.1f}s] rep {rep} {shape:>12} P={p} {runner:>8}: "
                          f"e2e {r['outer_wall_s']:.3f}s{inner} ok {r.get('ok')}/{r['n']} rc {r['rc']} "
                          f"rss {r['maxrss_kb'] / 1024:.0f}MiB foreign {r['foreign_cores']:.2f}",
                          file=sys.stderr, flush=True)
        extra = {} if args.no_extras else extras(bench, reps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "latest.jsonl", "w") as f:
        for r in bench.records:
            f.write(json.dumps(r) + "\n")
        f.write(json.dumps({"extras": extra}) + "\n")
    argv = sys.argv[1:]
    meta = {"args": (" " + " ".join(argv)) if argv else "", "when": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}", "reps": reps, "cli": bench.cli}
    text = render(summarize(bench.records), extra, meta, peers)
    Path(args.out).write_text(text)
    print(text)
    print(f"total {time.time() - started:.0f}s; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
