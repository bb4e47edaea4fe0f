"""Wiring memoization into template execution (the cache itself is `argonb.engine.memoize`)."""

from __future__ import annotations

from typing import Any

from argonb.engine.executor import Dispatcher, DoneExec, Exec, OnDone
from argonb.engine.memoize import MemoizeError, cache_for
from argonb.engine.model import NodePhase, NodeType
from argonb.rundir import RunDir
from argonb.spec.template_view import TemplateView, template_kind

NODE_TYPES = {"steps": NodeType.STEPS, "dag": NodeType.DAG, "suspend": NodeType.SUSPEND, "http": NodeType.HTTP}


def memoized(engine: Dispatcher, name: str, tmpl: dict[str, Any], boundary_id: str, on_done: OnDone,
             hooked: bool) -> Exec | OnDone:
    """A cache hit as a Succeeded node (an Exec), or the `on_done` to use: it saves outputs after success."""
    rt = engine.rt
    memo = tmpl["memoize"]
    key = str(memo.get("key", ""))
    cache = cache_for(RunDir(rt.run_dir).home, memo)
    status = {"key": key, "cacheName": cache.name}
    try:
        entry = cache.load(key, memo.get("maxAge"), rt.clock())
    except MemoizeError as exc:
        return engine.error_node(name, str(exc), boundary_id=boundary_id, on_done=on_done, hooked=hooked)
    if entry is not None:
        node = rt.create_node(name, NODE_TYPES.get(template_kind(tmpl), NodeType.POD),
                              template_name=TemplateView(tmpl).name, boundary_id=boundary_id,
                              phase=NodePhase.SUCCEEDED, hooked=hooked)
        node.outputs = entry.get("outputs") or None
        node.memoized = True
        node.detail["memoize"] = {**status, "hit": True}
        rt.publish_node(node)
        for param in (node.outputs or {}).get("parameters") or []:
            rt.add_global_output(param)
        return DoneExec(engine, on_done, node)

    def save_then(ex: Exec) -> None:
        ex.node.detail["memoize"] = {**status, "hit": False}
        if ex.node.phase is NodePhase.SUCCEEDED:
            try:
                cache.save(key, ex.node.id, ex.node.outputs)
            except OSError as exc:
                rt.set_phase(ex.node, NodePhase.ERROR, f"failed to save node outputs to cache: {exc}")
        rt.publish_node(ex.node)
        on_done(ex)

    return save_then
