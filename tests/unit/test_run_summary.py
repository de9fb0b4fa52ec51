"""symroute.run_summary: per router changed / failed / rolled back / unreachable, and the plan digest,
from ansible-runner events (constructed here in the shape ansible-runner 2.4 records them)."""

import json

import pytest
import yaml

from paths import REPOSITORY
from symroute.run_summary import CONVERGE_TASK, DIGEST_TASK, RESTORE_ROLE, RESTORE_TASK, describe, summarize

DIGEST = "sha256:" + "ab" * 32
HOSTILE = ["edge", "edge'1", 'edge"2', 'edge\n"x": changed', "édge-ü", "a\u2028b\rc", "", "0"]


def task(event, host, name="A task", res=None, role=None, **data):
    return {
        "event": event,
        "uuid": "u",
        "counter": 1,
        "event_data": dict(data, host=host, task=name, role=role, res={} if res is None else res),
    }


def stats(**counts):
    keys = ("changed", "dark", "failures", "ignored", "ok", "processed", "rescued", "skipped")
    return {"event": "playbook_on_stats", "event_data": {key: counts.get(key, {}) for key in keys}}


def digest_event(host, message=f"symroute plan digest {DIGEST}"):
    return task("runner_on_ok", host, DIGEST_TASK, {"msg": message, "changed": False})


def restore_event(host, event="runner_on_ok", role=RESTORE_ROLE):
    return task(event, host, RESTORE_TASK, {"changed": True, "restored": ["the nftables table"]}, role=role)


def flags(summary, host):
    return {name for name, value in summary["routers"][host].items() if value}


@pytest.mark.parametrize("host", HOSTILE)
def test_a_first_run_changes_the_router_and_prints_the_digest(host):
    events = [
        digest_event(host),
        task("runner_on_ok", host, res={"changed": True}),
        stats(ok={host: 20}, changed={host: 6}, processed={host: 1}),
    ]
    summary = summarize(events)
    assert summary["digest"] == DIGEST and summary["complete"]
    assert list(summary["routers"]) == [host] and flags(summary, host) == {"changed"}


@pytest.mark.parametrize("host", HOSTILE)
def test_a_failed_rolled_back_router(host):
    events = [
        digest_event("other"),
        task("runner_on_failed", host, "Verify on the router", {"msg": "no"}),
        restore_event(host),
        task("runner_on_failed", host, "Fail this router", {"msg": "restored"}),
        stats(ok={host: 9, "other": 3}, changed={host: 2}, failures={host: 1}, rescued={host: 1}),
    ]
    summary = summarize(events)
    assert flags(summary, host) == {"changed", "failed", "rolled_back"}
    assert flags(summary, "other") == set()


@pytest.mark.parametrize(
    ("rolled_back", "expected"),
    [(True, {"failed", "rolled_back"}), (False, {"failed"}), ("true", {"failed"}), (None, {"failed"})],
)
def test_a_converge_that_failed_and_restored_its_snapshot_is_rolled_back(rolled_back, expected):
    events = [task("runner_on_failed", "r", CONVERGE_TASK, {"msg": "no", "rolled_back": rolled_back})]
    assert flags(summarize(events), "r") == expected


def test_another_tasks_rolled_back_field_is_not_believed():
    events = [task("runner_on_failed", "r", "Some other task", {"msg": "no", "rolled_back": True})]
    assert flags(summarize(events), "r") == {"failed"}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([restore_event("r", event="runner_on_failed")], {"failed"}),
        ([restore_event("r", event="runner_on_skipped")], set()),
        ([restore_event("r", role="symroute.router.symroute_snapshot")], {"changed", "rolled_back"}),
        ([restore_event("r", role="not_symroute_snapshot")], {"changed"}),
        ([restore_event("r", role=None)], {"changed"}),
        ([task("runner_on_ok", "r", RESTORE_TASK, {"changed": False}, role=RESTORE_ROLE)], {"rolled_back"}),
    ],
    ids=[
        "restore failed",
        "restore skipped (check mode)",
        "collection role",
        "another role",
        "no role",
        "restored nothing new",
    ],
)
def test_rolled_back_means_the_snapshot_restore_ran_ok(events, expected):
    assert flags(summarize(events), "r") == expected


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([task("runner_on_unreachable", "r", res={"unreachable": True, "msg": "no route"})], {"unreachable"}),
        ([task("runner_on_failed", "r", res={"failed": True}, ignore_errors=True)], set()),
        ([task("runner_on_ok", "r", res={"changed": "yes"})], set()),
        ([task("runner_on_ok", "r", res="changed")], set()),
        ([task("runner_on_ok", "r", res={"changed": True})], {"changed"}),
        ([task("runner_on_skipped", "r")], set()),
    ],
    ids=["unreachable", "ignored failure", "changed not a bool", "result not a mapping", "changed", "skipped"],
)
def test_without_final_statistics_the_task_events_decide(events, expected):
    summary = summarize(events)
    assert not summary["complete"]
    assert flags(summary, "r") == expected


def test_the_final_statistics_decide_over_the_task_events():
    """A failure rescued inside a block is not a failed router; the counts say so."""
    events = [
        task("runner_on_failed", "r", "Verify on the router"),
        task("runner_on_ok", "r", res={"changed": True}),
        stats(ok={"r": 5}, rescued={"r": 1}, dark={"u": 1}, changed={"r": 0}),
    ]
    summary = summarize(events)
    assert flags(summary, "r") == set() and flags(summary, "u") == {"unreachable"}


@pytest.mark.parametrize(
    "events",
    [
        [],
        [None, "text", 3],
        [{"event": "runner_on_ok"}],
        [{"event_data": {"host": "r"}}],
        [{"event": "runner_on_ok", "event_data": None}],
        [{"event": "runner_on_ok", "event_data": {"host": 5}}],
        [{"event": 7, "event_data": {"host": "r"}}],
        [{"event": "playbook_on_stats", "event_data": "x"}],
        [{"event": "playbook_on_stats", "event_data": {"changed": {"r": "1", 5: 1}, "failures": []}}],
    ],
    ids=[
        "none",
        "not mappings",
        "no data",
        "no event",
        "data null",
        "host not text",
        "event not text",
        "stats not a mapping",
        "counts not numbers",
    ],
)
def test_missing_or_malformed_fields_are_not_events(events):
    summary = summarize(events)
    assert summary["digest"] is None and summary["routers"] == {}


@pytest.mark.parametrize(
    "message",
    [
        None,
        5,
        "",
        f"symroute plan digest {DIGEST}\nrouter: x",
        f"symroute plan digest {DIGEST[:-1]}",
        f"symroute plan digest {DIGEST.upper()}",
        f"digest {DIGEST}",
    ],
)
def test_only_a_well_formed_digest_counts(message):
    assert summarize([digest_event("r", message)])["digest"] is None


def test_the_digest_of_another_task_does_not_count():
    event = task("runner_on_ok", "r", "Show something else", {"msg": f"symroute plan digest {DIGEST}"})
    assert summarize([event])["digest"] is None


@pytest.mark.parametrize("host", HOSTILE)
def test_describe_gives_one_line_per_router_with_its_name_quoted(host):
    summary = summarize([digest_event(host), restore_event(host), stats(failures={host: 1}, ok={"b": 1})])
    text = describe(summary)
    lines = text.splitlines()
    assert lines[0] == f"plan digest: {DIGEST}"
    assert len(lines) == 1 + len(summary["routers"]) and text.endswith("\n")
    described = {json.loads(name): state for name, state in (line.rsplit(": ", 1) for line in lines[1:])}
    assert described == {host: "failed, rolled_back", "b": "unchanged"}


def test_describe_says_when_the_run_did_not_finish():
    text = describe(summarize([task("runner_on_ok", "r")]))
    assert text == 'plan digest: not printed (the run did not finish: no final statistics)\n"r": unchanged\n'


def _task_names(path):
    return (
        [item.get("name") for item in yaml.safe_load(path.read_text())[0].get("tasks", [])]
        if path.name == "plan.yml"
        else [item.get("name") for item in yaml.safe_load(path.read_text())]
    )


def test_the_task_names_it_looks_for_are_the_playbooks_own():
    assert DIGEST_TASK in _task_names(REPOSITORY / "playbooks" / "plan.yml")
    assert RESTORE_TASK in _task_names(REPOSITORY / "roles" / RESTORE_ROLE / "tasks" / "restore.yml")
    main = yaml.safe_load((REPOSITORY / "symmetric-routing.yml").read_text())
    block = next(task for play in main for task in play.get("tasks", []) if "rescue" in task)
    assert [step["name"] for step in block["block"]] == [CONVERGE_TASK]
    rescue = block["rescue"]
    restore = next(step for step in rescue if "ansible.builtin.import_role" in step)
    assert restore["ansible.builtin.import_role"] == {"name": RESTORE_ROLE, "tasks_from": "restore"}
