"""A JupyterLab server on loopback and helpers to drive argonb's widget in it with headless Chromium.

Follows shared/recipes/jupyter-browser.md: Debian's chromium through the PyPI `playwright` package with
`executable_path` (never `playwright install`), JupyterLab on 127.0.0.1 with a token and isolated
JUPYTER_* / IPYTHONDIR / ARGONB_HOME dirs, the announcements plugin disabled, and "kernel idle" read from
the kernel itself (the toolbar indicator says idle before the kernel has even started).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ARGONB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

# Phase fills of argonb.render.graph.PHASE_STYLES, as the browser reports a computed `fill`.
FILL = {"Succeeded": "rgb(183, 235, 198)", "Failed": "rgb(249, 192, 197)", "Running": "rgb(179, 225, 251)",
        "Pending": "rgb(227, 231, 235)"}


def missing_requirements() -> list[str]:
    """What this machine lacks to run the browser tests (empty when everything is there)."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    for module, pip_name in (("playwright", "playwright"), ("jupyterlab", "jupyterlab"),
                             ("ipykernel", "ipykernel"), ("nbclient", "nbclient")):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python package {pip_name} (pip install -e '.[test]')")
    if shutil.which("dot") is None:
        missing.append("graphviz `dot` (apt-get install graphviz)")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """One `jupyter lab` process this test session started (and alone stops)."""

    base: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.base / "root"

    @property
    def home(self) -> Path:
        return self.base / "argonb-home"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        dirs = {"JUPYTER_CONFIG_DIR": "jcfg", "JUPYTER_DATA_DIR": "jdata", "JUPYTER_RUNTIME_DIR": "jrt",
                "JUPYTERLAB_SETTINGS_DIR": "jlsettings", "JUPYTERLAB_WORKSPACES_DIR": "jlws",
                "IPYTHONDIR": "ipython"}
        for var, sub in dirs.items():
            env[var] = str(self.base / sub)
        env["ARGONB_HOME"] = str(self.home)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        env.pop("JUPYTER_PATH", None)
        return env

    def start(self, timeout: float = 60) -> None:
        for sub in ("root", "jcfg/labconfig", "jdata", "jrt", "jlsettings", "jlws", "ipython", "argonb-home"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        # The "get notified about Jupyter news?" toast covers the page; `news_url=None` alone does not stop it.
        (self.base / "jcfg/labconfig/page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        # Render every cell (JupyterLab 4 virtualizes cells out of view, so locators would miss them).
        tracker = self.base / "jlsettings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True, exist_ok=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
               "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"]
        self.log = (self.base / "lab.log").open("wb")
        self.proc = subprocess.Popen(cmd, env=self.env(), cwd=self.root, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.base / "lab.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM the server we started (it shuts its kernels down itself); SIGKILL after 15 s."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = self.root / name
        nbformat.write(nb, path)
        return path


# ---- page helpers -------------------------------------------------------------------------------------
KERNEL_STATUS = "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status"


def open_notebook(page: Any, lab: Lab, name: str, timeout: float = 60) -> None:
    """Open `name` and wait until its editors are rendered and its kernel is really idle."""
    page.goto(lab.notebook_url(name))
    page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(state="attached", timeout=timeout * 1000)
    wait_kernel_idle(page, timeout)


def wait_kernel_idle(page: Any, timeout: float = 60) -> None:
    page.wait_for_function(f"() => ({KERNEL_STATUS})() === 'idle'", timeout=timeout * 1000)


def run_all(page: Any) -> None:
    """Run every cell; returns at once (the command's promise resolves only when the cells have run)."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


# JS: the argonb graphs inside `root`: inline <svg> (the live widget) and SVG images with a data: URI (the
# static snapshot, which survives JupyterLab's sanitizer). Each node: label, class and fill as "rgb(r, g, b)".
GRAPHS_JS = """root => {
    const rgb = hex => { const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
        return m ? `rgb(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)})` : (hex || ''); };
    const graphs = [];
    for (const svg of root.querySelectorAll('svg')) graphs.push({svg, inline: true, loaded: true});
    for (const img of root.querySelectorAll('img[src^="data:image/svg+xml;base64,"]')) {
        const bytes = Uint8Array.from(atob(img.src.split(',')[1]), c => c.charCodeAt(0));
        const doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), 'image/svg+xml');
        graphs.push({svg: doc.documentElement, inline: false, loaded: img.complete && img.naturalWidth > 0});
    }
    return graphs.map(({svg, inline, loaded}) => ({inline, loaded,
        nodes: Array.from(svg.querySelectorAll('g.node')).map(g => {
            const shape = g.querySelector('path, polygon, ellipse');
            return {label: Array.from(g.querySelectorAll('text')).map(t => t.textContent).join(' ').trim() || g.id,
                    cls: g.getAttribute('class') || '',
                    fill: shape ? (inline ? getComputedStyle(shape).fill : rgb(shape.getAttribute('fill'))) : ''};
        })}));
}"""


def graphs(scope: Any) -> list[dict[str, Any]]:
    """Every argonb graph inside `scope` (a locator): {inline, loaded, nodes: [{label, cls, fill}]}."""
    return scope.evaluate(GRAPHS_JS)


def svg_nodes(scope: Any) -> dict[str, dict[str, str]]:
    """label -> {cls, fill} for every drawn node of the argonb graph(s) inside `scope` (a locator)."""
    return {n["label"]: n for g in graphs(scope) for n in g["nodes"]}


def table_phases(scope: Any) -> dict[str, str]:
    """node name -> phase as the widget's node table shows it."""
    return scope.evaluate("""root => {
        const out = {};
        const table = root.querySelector('.argonb-run table.argonb-nodes') || root.querySelector('table.argonb-nodes');
        for (const tr of table ? table.querySelectorAll('tbody tr') : []) {
            const tds = tr.querySelectorAll('td');  // (not [data-node]: the sanitizer drops data attributes)
            if (tds.length === 5) out[tds[0].textContent.trim()] = tds[2].textContent.trim();
        }
        return out;
    }""")


def header_phase(scope: Any) -> str:
    return scope.locator(".argonb-run .argonb-header .argonb-phase").first.inner_text().strip()


# ---- kernel websocket traffic ---------------------------------------------------------------------------
# Installed with `context.add_init_script` (before JupyterLab loads): every frame a kernel websocket delivers
# to the page is timestamped (performance.now(), when the page's main thread receives it) with its channel,
# message type and size. JupyterLab 4 speaks `v1.kernel.websocket.jupyter.org` (binary: a count of offsets,
# the offsets, then channel, header, parent header, metadata, content, buffers); older servers send JSON.
RECORD_KERNEL_FRAMES = """(() => {
    const Native = window.WebSocket;
    const frames = window.__argonbFrames = [];
    const decoder = new TextDecoder();
    const decode = data => {
        if (typeof data === 'string') { const m = JSON.parse(data); return [m.channel, m.header?.msg_type, data.length]; }
        if (!(data instanceof ArrayBuffer)) return ['', '', 0];
        const view = new DataView(data);
        const count = Number(view.getBigUint64(0, true));
        const offset = i => Number(view.getBigUint64(8 * (i + 1), true));
        const part = i => decoder.decode(new Uint8Array(data, offset(i), offset(i + 1) - offset(i)));
        return [part(0), JSON.parse(part(1)).msg_type, data.byteLength];
    };
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            if (String(args[0]).includes('/channels')) this.addEventListener('message', event => {
                try { const [channel, type, size] = decode(event.data);
                      if (channel === 'iopub') frames.push([performance.now(), type, size]); } catch (e) {}
            });
        }
    };
})();"""


class CommCounter:
    """Widget traffic as the page received it: comm_msg frames on iopub, from RECORD_KERNEL_FRAMES."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def frames(self, start: float = 0.0, end: float = float("inf")) -> list[tuple[float, str, int]]:
        """(page time in seconds, msg_type, bytes) of iopub frames between `start` and `end` (page seconds)."""
        return [(t / 1000, kind, size) for t, kind, size in self.page.evaluate("() => window.__argonbFrames || []")
                if start <= t / 1000 <= end]

    def now(self) -> float:
        return self.page.evaluate("() => performance.now()") / 1000

    def summary(self, start: float = 0.0, end: float = float("inf"), window: float = 1.0) -> dict[str, Any]:
        comms = [(t, size) for t, kind, size in self.frames(start, end) if kind == "comm_msg"]
        times = [t for t, _ in comms]
        return {"comm_msgs": len(comms), "comm_max_per_s": max_in_window(times, window),
                "comm_mbytes": round(sum(size for _, size in comms) / 1e6, 2),
                "comm_times": [round(t - start, 2) for t in times]}


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events within any `window` seconds (a sliding window)."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] < t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
