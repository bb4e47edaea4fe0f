"""Per-node overhead of argonb's docker backend against the raw Docker SDK, measured in the same run.

    python bench/docker_overhead.py [--n 20]

Rows (medians over N runs after one warm-up, a `true` command in the busybox image):
- raw SDK: `containers.create` + `start` + `wait` + `remove`, networking disabled (what the backend uses);
- raw SDK + logs: the same plus reading stdout and stderr apart after exit;
- backend: `DockerBackend.run(PodRequest)` (image check, mounts, create, start, two log streams, wait, log
  completion, remove);
- workflow, 1 pod: `argonb.run(..., backend="docker")` of a one-pod workflow, start to finish;
- workflow, per pod: a 10-step sequential workflow, total / 10;
- the local backend's one-pod workflow for reference.
Prints a markdown table and writes bench/RESULTS-docker.md. Needs a Docker engine with the busybox image
(`bash tests/docker/engine.sh all`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

IMAGE = "busybox:latest"
ONE_POD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bench-one-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: ["true"]}
"""
TEN_STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bench-ten-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
""" + "".join(f"    - - {{name: s{i}, template: t}}\n" for i in range(10)) + """
  - name: t
    container: {image: busybox, command: ["true"]}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS-docker.md"))
    args = parser.parse_args()
    os.environ.setdefault("ARGONB_DOCKER_PULL", "never")

    import argonb
    from argonb.backends.docker import DockerBackend, make_client
    from argonb.engine.backend import PodRequest

    backend = DockerBackend()
    problem = backend.check()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    client = make_client()
    scratch = Path(tempfile.mkdtemp(prefix="argonb-bench-"))

    def raw() -> None:
        c = client.containers.create(IMAGE, ["true"], network_disabled=True, init=True)
        try:
            c.start()
            c.wait()
        finally:
            c.remove(force=True)

    def raw_logs() -> None:
        c = client.containers.create(IMAGE, ["true"], network_disabled=True, init=True)
        try:
            c.start()
            c.wait()
            c.logs(stdout=True, stderr=False)
            c.logs(stdout=False, stderr=True)
        finally:
            c.remove(force=True)

    counter = iter(range(10 ** 6))

    def via_backend() -> None:
        i = next(counter)
        pod = scratch / f"pod-{i}"
        request = PodRequest(node_id=f"n{i}", node_name="bench", pod_name=f"bench-{i}", template_name="t",
                             image=IMAGE, command=["true"], args=None, env={}, pod_dir=pod, root=pod / "root",
                             run_id="bench")
        result = backend.run(request, lambda s, line: None, threading.Event())
        assert result.exit_code == 0, result

    def workflow(text: str, name: str) -> None:
        handle = argonb.run(text, backend=name, home=scratch / "home")
        handle.wait(120)
        assert handle.phase == "Succeeded", handle.message

    cases = [
        ("raw SDK: create + start + wait + remove", raw, 1),
        ("raw SDK + stdout/stderr logs", raw_logs, 1),
        ("DockerBackend.run (one pod)", via_backend, 1),
        ("argonb.run, 1-pod workflow, docker", lambda: workflow(ONE_POD, "docker"), 1),
        ("argonb.run, 10 sequential pods, docker (per pod)", lambda: workflow(TEN_STEPS, "docker"), 10),
        ("argonb.run, 1-pod workflow, local (reference)", lambda: workflow(ONE_POD, "local"), 1),
    ]
    samples: list[list[float]] = [[] for _ in cases]
    for _, fn, _ in cases:
        fn()  # warm-up
    for i in range(args.n):  # round-robin, so that load changes on the machine hit every row alike
        for k, (_, fn, per) in enumerate(cases):
            if per > 1 and i % 4:
                continue  # the 10-pod workflow: every 4th round
            start = time.perf_counter()
            fn()
            samples[k].append(time.perf_counter() - start)
    rows = [(label, samples[k], per) for k, (label, _, per) in enumerate(cases)]
    base = statistics.median(rows[0][1])
    info = client.version()
    lines = [
        "# docker backend overhead",
        "",
        f"{platform.node()} · {os.cpu_count()} CPUs · Docker {info.get('Version')} "
        f"({client.info().get('Driver')}) · docker SDK {__import__('docker').__version__} · Python "
        f"{platform.python_version()} · N={args.n} rounds, round-robin (medians, one warm-up) · "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        "| what | median per pod (ms) | p90 (ms) | over raw SDK (ms) |",
        "|---|---:|---:|---:|",
    ]
    for label, samples, per in rows:
        med = statistics.median(samples) / per
        p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)] / per
        lines.append(f"| {label} | {med * 1000:.0f} | {p90 * 1000:.0f} | {(med - base) * 1000:+.0f} |")
    lines += [
        "",
        "The raw SDK row is the floor: what any Docker client pays for a container. The backend adds the image "
        "check, the bind mounts, two live log streams (stdout and stderr apart) and the final log read; the "
        "workflow rows add argonb's engine (events, node bookkeeping, outputs).",
        "",
        "Reproduce: `bash tests/docker/engine.sh all && python bench/docker_overhead.py`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
