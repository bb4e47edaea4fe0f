"""Stop, terminate, suspend/resume, retry and resubmit on a MOCK Argo Server (tests/argo/fake_argo.py): the paths,
bodies (validated against hera's models by the mock) and auth headers argonb sends, and how the handle follows."""

from __future__ import annotations

import time

import pytest

from argonb.backends.argo import ArgoBadRequest, selector_value, submit
from argonb.engine.events import RunFinished
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FakeArgoServer, Frame, steps_plan


def wait_for(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def started(fake, run) -> None:
    wait_for(lambda: run.nodes and fake.workflows[run.name].index >= 2)


@pytest.fixture
def slow():
    """A mock server whose workflows sit in Running until told otherwise."""
    with FakeArgoServer(token=TOKEN, plan=steps_plan([("hello", "Succeeded", ["hi"])])) as server:
        yield server
        assert server.violations == []


def test_stop_sends_argo_stop_and_the_run_ends_failed(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    slow.hold(run.name)
    run.stop()
    (req,) = slow.calls("PUT", "/stop")
    assert req.path == f"/api/v1/workflows/argo/{run.name}/stop"
    assert req.body == {"name": run.name, "namespace": "argo"}
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    run.wait(10)
    assert run.phase == "Failed"
    assert run.message == "Stopped with strategy 'Stop'"


def test_terminate(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    slow.hold(run.name)
    run.terminate()
    (req,) = slow.calls("PUT", "/terminate")
    assert req.path == f"/api/v1/workflows/argo/{run.name}/terminate"
    assert req.body == {"name": run.name, "namespace": "argo"}
    assert run.wait(10).message == "Stopped with strategy 'Terminate'"


def test_suspend_and_resume_a_node_with_outputs(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    run.suspend()
    (req,) = slow.calls("PUT", "/suspend")
    assert req.body == {"name": run.name, "namespace": "argo"}
    node = run.node("hello")
    run.resume("hello", outputs={"approve": "yes"})
    (set_req,) = slow.calls("PUT", "/set")
    assert set_req.body == {"name": run.name, "namespace": "argo", "nodeFieldSelector": f"id={node['id']}",
                            "outputParameters": '{"approve": "yes"}'}
    (resume,) = slow.calls("PUT", "/resume")
    assert resume.body == {"name": run.name, "namespace": "argo", "nodeFieldSelector": f"id={node['id']}"}
    assert run.wait(10).phase == "Succeeded"


def test_resume_everything_and_unknown_nodes(fake, connect):
    run = submit(HELLO, follow=False, **connect)
    run.resume()
    run.resume("approve,gate")
    bodies = [r.body for r in fake.calls("PUT", "/resume")]
    assert bodies == [{"name": run.name, "namespace": "argo"},
                      {"name": run.name, "namespace": "argo", "nodeFieldSelector": "displayName=approve\\,gate"}]
    assert selector_value("a=b\\c") == "a\\=b\\\\c"


def test_retry_a_failed_workflow_and_follow_it_again(connect):
    plan = steps_plan([("hello", "Failed", ["boom"])])
    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        run = submit(HELLO, **{**connect, "server": fake.url}).wait(10)
        assert run.phase == "Failed"
        node = run.node("hello")
        events: list = []
        again = run.retry("hello", subscribers=[events.append])
        (req,) = fake.calls("PUT", "/retry")
        assert req.path == f"/api/v1/workflows/argo/{run.name}/retry"
        assert req.body == {"name": run.name, "namespace": "argo", "restartSuccessful": True,
                            "nodeFieldSelector": f"id={node['id']}"}
        assert again is not run and again.name == run.name
        again.wait(10)
        assert again.phase == "Succeeded"
        assert isinstance(events[-1], RunFinished) and events[-1].phase == "Succeeded"
        assert again.logs("hello") == "retried ok\n"
        assert fake.violations == []


def test_plain_retry_body_and_a_refused_retry(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    slow.hold(run.name)
    with pytest.raises(ArgoBadRequest) as info:
        run.retry(parameters={"who": "again"})
    assert info.value.status == 400
    assert "must be Failed/Error" in str(info.value)
    (req,) = slow.calls("PUT", "/retry")
    assert req.body == {"name": run.name, "namespace": "argo", "parameters": ["who=again"]}
    slow.hold(run.name, False)
    run.wait(10)


def test_resubmit_creates_and_follows_a_new_workflow(fake, connect):
    run = submit(HELLO, **connect).wait(10)
    new = run.resubmit(memoized=True)
    (req,) = fake.calls("PUT", "/resubmit")
    assert req.path == f"/api/v1/workflows/argo/{run.name}/resubmit"
    assert req.body == {"name": run.name, "namespace": "argo", "memoized": True}
    assert new.name != run.name and new.name.startswith("hello-")
    assert new.wait(10).phase == "Succeeded"
    assert new.logs() == "hello: hello world\n"


def test_delete(fake, connect):
    run = submit(HELLO, **connect).wait(10)
    run.delete()
    assert fake.calls("DELETE", f"/api/v1/workflows/argo/{run.name}")
    assert run.name not in fake.workflows


def test_a_workflow_deleted_on_the_server_ends_the_run_in_error(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    slow.hold(run.name)
    with slow.cond:
        del slow.workflows[run.name]
        slow.cond.notify_all()
    run.wait(10)
    assert run.done and run.phase == "Error"
    assert "deleted" in run.message or "no longer exists" in run.message


def test_close_stops_following_without_finishing(slow):
    run = submit(HELLO, server=slow.url, token=TOKEN)
    started(slow, run)
    slow.hold(run.name)
    run.close()
    time.sleep(0.2)
    assert not run.done
    slow.hold(run.name, False)


def test_resume_with_outputs_and_no_node_fills_every_suspended_node(connect):
    def plan(wf):
        name = wf["metadata"]["name"]
        gate = {"id": f"{name}-1", "name": f"{name}.gate", "displayName": "gate", "type": "Suspend",
                "templateName": "gate", "phase": "Running", "boundaryID": name}
        root = {"id": name, "name": name, "displayName": name, "type": "DAG", "templateName": "main",
                "phase": "Running", "children": [gate["id"]]}
        return [Frame("Running", {name: root, gate["id"]: gate})]

    with FakeArgoServer(token=TOKEN, plan=plan) as fake:
        run = submit(HELLO, **{**connect, "server": fake.url})
        wait_for(lambda: "gate" in {n.get("displayName") for n in run.nodes.values()})
        run.resume(outputs={"approved": "true"})
        (set_req,) = fake.calls("PUT", "/set")
        assert set_req.body["nodeFieldSelector"] == f"id={run.name}-1"
        assert set_req.body["outputParameters"] == '{"approved": "true"}'
        run.close()
    other = FakeArgoServer(token=TOKEN, plan=lambda wf: [])
    with other:
        idle = submit(HELLO, follow=False, **{**connect, "server": other.url})
        with pytest.raises(ValueError):
            idle.resume(outputs={"x": "1"})
