"""`argonb.backends.argo.submit` against a MOCK Argo Server (tests/argo/fake_argo.py; a real cluster cannot run
here): request bodies (checked against hera's models by the mock), events, phases, logs, watch and polling."""

from __future__ import annotations

import threading

import yaml

from argonb.backends.argo import ArgoRun, pod_name, submit
from argonb.engine.events import NodeLog, NodeUpdated, RunFinished, RunStarted
from argonb.engine.naming import node_id
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FakeArgoServer, Frame, steps_plan


def run_collect(source: str, **kwargs) -> tuple[ArgoRun, list]:
    events: list = []
    run = submit(source, subscribers=[events.append], **kwargs)
    run.wait(15)
    assert run.done, run
    return run, events


def test_submit_sends_the_yaml_as_written_and_follows_it_over_sse(fake, connect):
    run, events = run_collect(HELLO, parameters={"who": "cluster"}, **connect)

    # one create request, with the document exactly as written plus the -p parameter
    (create,) = fake.calls("POST", "/api/v1/workflows/argo")
    sent = create.body["workflow"]
    expected = yaml.safe_load(HELLO)
    expected["spec"]["arguments"]["parameters"][0]["value"] = "cluster"
    assert sent == expected
    assert create.body["namespace"] == "argo"
    # every request carries the token, as a Bearer header
    assert {r.headers.get("Authorization") for r in fake.requests} == {f"Bearer {TOKEN}"}
    # the watch used Server-Sent Events and selected this workflow by name
    (watch,) = fake.calls("GET", "/api/v1/workflow-events/argo")
    assert watch.headers["Accept"] == "text/event-stream"
    assert watch.query["listOptions.fieldSelector"] == [f"metadata.name={run.name}"]
    assert run.mode == "watch"

    assert run.phase == "Succeeded" and run.done
    assert isinstance(events[0], RunStarted) and events[0].workflow_name == run.name
    assert isinstance(events[-1], RunFinished) and events[-1].phase == "Succeeded"
    assert all(e.run_id == run.name for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))

    pod_id = node_id(run.name, f"{run.name}[0].hello")
    updates = [e for e in events if isinstance(e, NodeUpdated)]
    assert [e.phase for e in updates if e.node_id == pod_id] == ["Pending", "Running", "Succeeded"]
    # only changed nodes are published: no two identical snapshots of a node in a row
    last: dict = {}
    for e in updates:
        assert last.get(e.node_id) != e.node
        last[e.node_id] = e.node
    # parents are published before their children
    first_seen = {}
    for i, e in enumerate(updates):
        first_seen.setdefault(e.node_id, i)
    assert first_seen[run.name] < first_seen[pod_id]
    assert updates[0].node["type"] == "Steps"

    logs = [e for e in events if isinstance(e, NodeLog)]
    assert [(e.node_id, e.line) for e in logs] == [(pod_id, "hello world")]
    assert run.logs() == "hello: hello world\n"
    assert run.logs("hello") == "hello world\n"
    node = run.node("hello")
    assert node["podName"] == pod_name(run.name, node) == f"{run.name}-hello-{pod_id.rsplit('-', 1)[1]}"
    assert run.progress() == (1, 1)
    wf = run.to_workflow()
    assert wf["status"]["phase"] == "Succeeded" and pod_id in wf["status"]["nodes"]
    assert wf["metadata"]["uid"] == run.uid != ""
    assert "status" not in run.workflow
    assert repr(run).startswith(f"<ArgoRun argo/{run.name} Succeeded 1/1 pods on ")


def test_newline_delimited_json_streams_work_too(connect):
    with FakeArgoServer(token=TOKEN, sse=False) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert run.phase == "Succeeded"
        assert [e.line for e in events if isinstance(e, NodeLog)] == ["hello world"]
        assert fake.violations == []


def test_polling_fallback_when_the_watch_endpoint_is_missing(connect):
    with FakeArgoServer(token=TOKEN, watch=False) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert run.mode == "poll"
        assert run.phase == "Succeeded"
        assert len(fake.calls("GET", f"/api/v1/workflows/argo/{run.name}")) > 2
        assert [e.line for e in events if isinstance(e, NodeLog)] == ["hello world"]
        pod_updates = [e.phase for e in events if isinstance(e, NodeUpdated) and e.node.get("type") == "Pod"]
        assert pod_updates[-1] == "Succeeded"
        assert fake.violations == []


def test_polling_can_be_chosen(fake, connect):
    run, _ = run_collect(HELLO, watch=False, **connect)
    assert run.mode == "poll" and run.phase == "Succeeded"
    assert fake.calls("GET", "/api/v1/workflow-events/") == []


def test_a_dropped_watch_reconnects_without_duplicating_anything(connect):
    plan = steps_plan([("one", "Succeeded", ["a", "b"]), ("two", "Succeeded", ["c"])])
    with FakeArgoServer(token=TOKEN, plan=plan, drop_watch_after=2) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert run.phase == "Succeeded"
        assert fake.watch_connections >= 2
        assert [e.line for e in events if isinstance(e, NodeLog)] == ["a", "b", "c"]
        updates = [e for e in events if isinstance(e, NodeUpdated)]
        last: dict = {}
        for e in updates:
            assert last.get(e.node_id) != e.node
            last[e.node_id] = e.node
        assert run.logs() == "one: a\none: b\ntwo: c\n"


def test_a_failed_workflow_reports_failed_nodes_and_messages(connect):
    plan = steps_plan([("ok", "Succeeded", ["fine"]), ("boom", "Failed", ["oops"])])
    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert run.phase == "Failed"
        assert run.node("boom")["phase"] == "Failed"
        assert run.node("boom")["message"] == "Error (exit code 1)"
        assert events[-1].phase == "Failed"
        assert run.progress() == (1, 2)


def test_workflow_outputs_are_shaped_like_a_local_runs(connect):
    outputs = {"parameters": [{"name": "answer", "value": "42", "globalName": "answer"}]}
    plan = steps_plan([("hello", "Succeeded", [])], outputs=outputs)
    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        run, _ = run_collect(HELLO, **{**connect, "server": fake.url})
        assert run.outputs == {"parameters": {"answer": "42"}}


def test_logs_are_mirrored_into_the_run_directory(connect, tmp_path):
    run, _ = run_collect(HELLO, home=tmp_path, **connect)
    pod = run.node("hello")["podName"]
    assert (tmp_path / "runs" / run.name / "pods" / pod / "main.log").read_text() == "hello world\n"


def test_without_following_logs_are_fetched_on_demand(fake, connect):
    run = submit(HELLO, follow=False, **connect)
    assert not run.done and run.phase == "Pending"
    assert fake.calls("GET", "/api/v1/workflow-events/") == []
    run.wait(15)  # wait() starts following
    assert run.phase == "Succeeded"
    other = submit(HELLO, follow=False, **connect)
    while fake.workflows[other.name].phase != "Succeeded":
        threading.Event().wait(0.02)
    other._refresh()  # read the state once, as a caller of `nodes` after the fact would
    assert other.logs("hello") == "hello world\n"
    (single,) = [r for r in fake.calls("GET", f"/{other.name}/log")]
    assert single.query["podName"] == [other.node("hello")["podName"]]
    assert single.query["logOptions.container"] == ["main"]


def test_subscribe_receives_later_events(fake, connect):
    run = submit(HELLO, follow=False, **connect)
    seen: list = []
    unsubscribe = run.subscribe(seen.append)
    run.wait(15)
    unsubscribe()
    assert isinstance(seen[-1], RunFinished)
    assert any(isinstance(e, NodeLog) for e in seen)


def test_cron_workflow_submits_the_workflow_it_would_start(fake, connect):
    cron = """apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 0 * * *"]
  workflowMetadata:
    labels: {team: data}
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: alpine, command: [echo, hi]}
"""
    run = submit(cron, follow=False, **connect)
    (create,) = fake.calls("POST", "/api/v1/workflows/argo")
    wf = create.body["workflow"]
    assert wf["kind"] == "Workflow"
    assert wf["metadata"] == {"labels": {"team": "data"}, "generateName": "nightly-"}
    assert wf["spec"]["templates"][0]["name"] == "main"
    assert run.name.startswith("nightly-")


def test_local_only_options_are_noted_not_sent(fake, connect):
    run = submit(HELLO, follow=False, backend="argo", max_workers=64, reuse={"x": {}}, **connect)
    assert any("reuse" in w for w in run.warnings)
    assert not any("max_workers" in w for w in run.warnings)


def test_a_broken_log_stream_is_made_up_for_pod_by_pod_at_the_end(connect):
    plan = steps_plan([("one", "Succeeded", ["a", "b"]), ("two", "Succeeded", ["c"])])
    with FakeArgoServer(token=TOKEN, plan=plan, follow_logs_status=500) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert [e.line for e in events if isinstance(e, NodeLog)] == ["a", "b", "c"]
        assert isinstance(events[-1], RunFinished)
        singles = [r.query["podName"][0] for r in fake.calls("GET", f"/{run.name}/log") if "podName" in r.query]
        assert sorted(singles) == sorted(run.node(n)["podName"] for n in ("one", "two"))


def test_a_cut_log_stream_reconnects_without_duplicates(connect):
    plan = steps_plan([("one", "Succeeded", ["a", "b", "c"]), ("two", "Succeeded", ["d", "e"])])
    with FakeArgoServer(token=TOKEN, plan=plan, drop_logs_after=2) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        assert [e.line for e in events if isinstance(e, NodeLog)] == ["a", "b", "c", "d", "e"]
        assert fake.log_connections > 1
        assert run.logs() == "one: a\none: b\none: c\ntwo: d\ntwo: e\n"


def test_log_lines_wait_for_their_node_and_v1_pod_names_work(connect):
    def plan(wf):
        name = wf["metadata"]["name"]
        pid = node_id(name, f"{name}.early")
        v1 = node_id(name, f"{name}.v1")
        pod = {"type": "Pod", "templateName": "hello", "templateScope": f"local/{name}", "boundaryID": name,
               "startedAt": "2024-01-01T00:00:00Z"}
        root = {"id": name, "name": name, "displayName": name, "type": "DAG", "templateName": "main",
                "phase": "Running", "children": [pid, v1], "startedAt": "2024-01-01T00:00:00Z"}
        nodes = {name: root}
        early = pod_name(name, {"name": f"{name}.early", "templateName": "hello"})
        frames = [Frame("Running", dict(nodes), {early: ["before the node"], v1: ["by node id"]})]
        nodes = {**nodes, pid: {**pod, "id": pid, "name": f"{name}.early", "displayName": "early",
                                "phase": "Succeeded"},
                 v1: {**pod, "id": v1, "name": f"{name}.v1", "displayName": "v1", "phase": "Succeeded"}}
        frames.append(Frame("Running", dict(nodes)))
        frames.append(Frame("Succeeded", {**nodes, name: {**root, "phase": "Succeeded"}}))
        return frames

    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        run, events = run_collect(HELLO, **{**connect, "server": fake.url})
        logs = {e.line: e.node_id for e in events if isinstance(e, NodeLog)}
        assert logs == {"before the node": node_id(run.name, f"{run.name}.early"),
                        "by node id": node_id(run.name, f"{run.name}.v1")}
        first_log = next(i for i, e in enumerate(events) if isinstance(e, NodeLog))
        assert any(isinstance(e, NodeUpdated) and e.node.get("displayName") == "early" for e in events[:first_log])
        assert run.logs("early") == "before the node\n"
        assert fake.violations == []
