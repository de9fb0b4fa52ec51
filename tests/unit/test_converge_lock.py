"""One converge at a time (issue #24): the converge lock, proven with real concurrent processes; a rollback
restores only its own run's snapshot; a restore writes only symroute's files; the lock files are 0600, never
opened through a symlink, never waited for without bound."""

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from paths import REPOSITORY
from router_fakes import FakeRouter
from symroute_router import converge, locking, snapshot
from symroute_router.steps import StepFailed

# One converge in its own process: the sysctl step is the one "change" (it writes a file, then waits for
# the test's go-ahead, then succeeds or fails); the snapshot is real (files and a fake router's tables).
CHILD = textwrap.dedent("""
    import json, os, sys, time
    from symroute_router import converge, files
    from router_fakes import FakeRouter
    args = json.loads(sys.argv[1])
    converge.CONVERGE_LOCK = args["lock"]

    def change(request, check_mode, warn):
        files.write_atomically(args["file"], args["run_id"] + "\\n")
        open(args["started"], "w").close()
        deadline = time.monotonic() + 20
        while not os.path.exists(args["release"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        if args["fail"]:
            raise RuntimeError("the change failed")
        return {"changed": True, "changed_values": [], "waiting": [], "diff": []}

    converge.sysctl_step.run = change
    request = {"parts": ["sysctl"], "sysctl": {"sysctls": {}},
               "snapshot": {"path": args["snapshot"],
                            "scope": {"run_id": args["run_id"], "files": [args["file"]], "nft_table": "inet symroute",
                                      "priority_band": [10000, 10999], "tables": [], "sysctls": []}}}
    converge.contract.refusal = lambda name, data: None
    converge.snapshot.router_scope = lambda scope: dict(scope)
    try:
        result = converge.converge(request, False, FakeRouter(), lambda text: None)
        print(json.dumps({"ok": True, "changed": result["changed"]}))
    except converge.ConvergeFailed as error:
        print(json.dumps({"ok": False, "msg": str(error), "step": error.step, "outcome": error.outcome,
                          "rolled_back": error.rolled_back, "restored": error.restored}))
""")


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "router_scope", lambda scope: dict(scope))
    return {
        "lock": str(tmp_path / "run" / "converge.lock"),
        "snapshot": str(tmp_path / "lib" / "snapshot.json"),
        "file": str(tmp_path / "etc" / "owned.conf"),
        "tmp": tmp_path,
    }


def _start(lab, run_id, fail=False):
    args = dict(
        lab,
        run_id=run_id,
        fail=fail,
        tmp=None,
        started=str(lab["tmp"] / f"{run_id}.started"),
        release=str(lab["tmp"] / f"{run_id}.release"),
    )
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(REPOSITORY / "module_utils"), str(REPOSITORY / "tests"), str(REPOSITORY / "tests" / "unit")]
        ),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)], stdout=subprocess.PIPE, text=True, env=environment
    )
    return process, args


def _wait_for(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _finish(process, args):
    open(args["release"], "w").close()
    out, _ = process.communicate(timeout=30)
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("first_fails", [False, True], ids=["first completes", "first fails and restores its own"])
def test_a_second_concurrent_converge_fails_at_once_naming_the_first(lab, first_fails):
    os.makedirs(os.path.dirname(lab["file"]))
    with open(lab["file"], "w", encoding="utf-8") as handle:
        handle.write("before\n")
    first, first_args = _start(lab, "run-A", fail=first_fails)
    _wait_for(first_args["started"])  # run A holds the lock and has changed the file
    began = time.monotonic()
    second, second_args = _start(lab, "run-B")
    open(second_args["release"], "w").close()
    refused = _finish(second, second_args)
    waited = time.monotonic() - began
    assert refused["ok"] is False and refused["step"] == "One converge at a time"
    assert "run-A" in refused["msg"] and f"pid {first.pid}" in refused["msg"] and "started 20" in refused["msg"]
    assert refused["outcome"] == "Nothing was changed."
    assert waited < 5.0, f"the second converge waited {waited:.1f} s"  # a Python start, not run A's 20 s
    # Run B touched nothing: run A's snapshot and change are as run A left them.
    assert snapshot.load(lab["snapshot"])["run_id"] == "run-A"
    assert Path(lab["file"]).read_text(encoding="utf-8") == "run-A\n"
    outcome = _finish(first, first_args)
    if first_fails:
        assert outcome["ok"] is False and outcome["rolled_back"] is True, outcome
        assert outcome["restored"] == [f"file {lab['file']}"]
        assert Path(lab["file"]).read_text(encoding="utf-8") == "before\n"
    else:
        assert outcome == {"ok": True, "changed": True}
    # Once run A is over, the next converge runs.
    third, third_args = _start(lab, "run-C")
    assert _finish(third, third_args) == {"ok": True, "changed": True}
    assert snapshot.load(lab["snapshot"])["run_id"] == "run-C"


def test_a_killed_converge_never_blocks_the_next(lab):
    os.makedirs(os.path.dirname(lab["file"]))
    first, first_args = _start(lab, "run-A")
    _wait_for(first_args["started"])
    first.kill()
    first.wait(timeout=10)
    second, second_args = _start(lab, "run-B")
    assert _finish(second, second_args) == {"ok": True, "changed": True}


def _world(tmp_path, monkeypatch, run_id):
    """converge() with the sysctl part only; the change fails after replacing the snapshot on disk."""
    monkeypatch.setattr(converge, "CONVERGE_LOCK", str(tmp_path / "converge.lock"))
    monkeypatch.setattr(converge.contract, "refusal", lambda name, data: None)
    restored = []
    monkeypatch.setattr(
        snapshot,
        "restore",
        lambda runner, taken, lock_path=None, owned_files=None: restored.append(taken) or ["file x"],
    )
    path = tmp_path / "snapshot.json"
    request = {
        "parts": ["sysctl"],
        "sysctl": {"sysctls": {}},
        "snapshot": {"path": str(path), "scope": {"run_id": run_id, "files": [], "priority_band": [1, 2]}},
    }
    return request, path, restored


@pytest.mark.parametrize(
    "on_disk", [{"snapshot_version": 1, "run_id": "run-B", "files": {}}, None], ids=["another run's", "gone"]
)
def test_a_rollback_never_restores_another_runs_snapshot(tmp_path, monkeypatch, on_disk):
    request, path, restored = _world(tmp_path, monkeypatch, "run-A")
    monkeypatch.setattr(snapshot, "take", lambda runner, scope: {"run_id": "run-A"})

    def change(request_part, check_mode, warn):
        if on_disk is None:
            path.unlink()
        else:
            path.write_text(json.dumps(on_disk))
        raise StepFailed("the change failed")

    monkeypatch.setattr(converge.sysctl_step, "run", change)
    with pytest.raises(converge.ConvergeFailed) as failed:
        converge.converge(request, False, FakeRouter(), lambda text: None)
    assert restored == [] and failed.value.rolled_back is False
    assert "could not be restored whole" in failed.value.outcome
    assert ("run run-B's, not this run's (run-A)" if on_disk else "is gone") in failed.value.outcome


def test_check_mode_takes_no_lock(tmp_path, monkeypatch):
    request, _, _ = _world(tmp_path, monkeypatch, "run-A")
    monkeypatch.setattr(
        converge.sysctl_step,
        "run",
        lambda request_part, check_mode, warn: {"changed": False, "changed_values": [], "waiting": [], "diff": []},
    )
    with locking.converge_lock(converge.CONVERGE_LOCK, {"run_id": "run-B"}):
        assert converge.converge(request, True, FakeRouter(), lambda text: None)["changed"] is False


# ------------------------------------------------------------------ the restore writes only symroute's files
def _snapshot(files):
    return {
        "snapshot_version": 1,
        "run_id": "r",
        "files": files,
        "nft_table": "inet symroute",
        "nft_listing": None,
        "routing": {"priority_band": [10000, 10999], "monitor_bands": [], "tables": [], "rules": [], "routes": []},
        "sysctl_root": "/nonexistent",
        "sysctls": {},
    }


def test_a_restore_writes_only_the_runs_own_files_with_modes_narrowed(tmp_path):
    owned, planted = tmp_path / "owned.conf", tmp_path / "elsewhere"
    taken = _snapshot(
        {
            str(owned): {"content": "mine\n", "mode": 0o6777},
            str(planted): {"content": "root:x:0:0\n", "mode": 0o644},
            "/proc/sys/kernel/core_pattern": {"content": "|/tmp/x\n", "mode": 0o644},
        }
    )
    with pytest.raises(snapshot.RestoreError) as refused:
        snapshot.restore(FakeRouter(), taken, owned_files=[str(owned), "/proc/sys/kernel/core_pattern"])
    assert refused.value.restored == [f"file {owned}"]
    assert owned.read_text() == "mine\n" and stat.S_IMODE(owned.stat().st_mode) == 0o755
    assert not planted.exists()
    assert f"{planted} is not one of symroute's files for this run" in str(refused.value)
    assert "/proc/sys/kernel/core_pattern is under /proc/" in str(refused.value)


@pytest.mark.parametrize("path", ["relative/file", "/etc/../etc/passwd", "/etc/a b"])
def test_a_restore_refuses_paths_that_are_not_plain(tmp_path, path):
    with pytest.raises(snapshot.RestoreError) as refused:
        snapshot.restore(FakeRouter(), _snapshot({path: {"content": "x", "mode": 0o644}}))
    assert "is not a plain absolute path" in str(refused.value)


def test_a_restore_of_something_that_is_no_snapshot_is_a_restore_error():
    with pytest.raises(snapshot.RestoreError):
        snapshot.restore(FakeRouter(), None)
    with pytest.raises(snapshot.RestoreError):
        snapshot.restore(FakeRouter(), {"files": []})


# ------------------------------------------------------------------ the lock files
def test_lock_files_are_0600_and_an_older_wider_one_is_narrowed(tmp_path):
    path = tmp_path / "run" / "routing.lock"
    with locking.locked(str(path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    with locking.converge_lock(str(path), {"run_id": "r"}):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_lock_is_never_opened_through_a_symlink(tmp_path):
    target = tmp_path / "passwd"
    target.write_text("root:x:0:0\n")
    (tmp_path / "routing.lock").symlink_to(target)
    for context in (
        locking.locked(str(tmp_path / "routing.lock")),
        locking.converge_lock(str(tmp_path / "routing.lock"), {"run_id": "r"}),
    ):
        with pytest.raises(OSError), context:
            pass
    assert target.read_text() == "root:x:0:0\n" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_routing_lock_held_by_another_process_is_waited_for_boundedly(tmp_path):
    path = tmp_path / "routing.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import fcntl, sys, time
        handle = open({str(path)!r}, "a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        print("held", flush=True)
        time.sleep(30)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(locking.LockBusy), locking.locked(str(path), wait_s=0.3):
            pass
        assert 0.25 <= time.monotonic() - began < 2.0
    finally:
        holder.kill()
        holder.wait()
    with locking.locked(str(path), wait_s=0.3):  # released with its holder
        pass


def test_the_lock_is_not_inherited_by_children(tmp_path):
    path = str(tmp_path / "converge.lock")
    with locking.converge_lock(path, {"run_id": "r"}):
        child = subprocess.Popen(["sleep", "30"])
    try:
        with locking.converge_lock(path, {"run_id": "s"}):  # the child would hold it if it had inherited it
            pass
    finally:
        child.kill()
        child.wait()
