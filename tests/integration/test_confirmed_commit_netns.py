"""Confirmed commit with a real detached dead-man (no systemd), in a network namespace of its own: a
"converge" arms it, changes a file and loads an nftables table, and its process ends without confirming
(the controller was killed between the change and the confirmation). The dead-man restores the file and
deletes the table within the timeout + 5 s, logs it, and the next converge is told once. A confirmed run is
left alone and its dead-man exits."""

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from paths import REPOSITORY
from symroute_router import deadman, deadman_record
from symroute_router.command import Runner
from symroute_router.monitor import publish

TIMEOUT_S = 3
PACKAGE = REPOSITORY / "module_utils" / "symroute_router"

# Runs inside the namespace: snapshot, arm (background), change; then exits, confirming only if told to.
ARM_AND_CHANGE = textwrap.dedent("""
    import json, sys
    from symroute_router import deadman, files, nftables, snapshot
    from symroute_router.command import Runner
    args = json.loads(sys.stdin.read())
    runner = Runner()
    snapshot.save(args["snapshot"], snapshot.take(runner, {
        "run_id": args["run_id"], "files": [args["file"]], "nft_table": "inet symroute",
        "priority_band": [10000, 10999], "tables": [], "sysctls": []}))
    deadman.TIMEOUT_RANGE = (1, 3600)  # the real range starts at 30 s
    record = deadman.arm(args["record"], args["run_id"], args["snapshot"], [args["file"]], args["timeout"], runner,
                         args["package"], python=sys.executable, systemd=False, locks=args["locks"])
    files.write_atomically(args["file"], "after\\n")
    nftables.load(runner, "table inet symroute {\\n\\tset s {\\n\\t\\ttype ipv4_addr\\n\\t}\\n}\\n")
    if args["confirm"]:
        deadman.confirm(args["record"], args["run_id"], runner, lock_path=args["locks"][0])
    print(json.dumps(record))
""")


def _package_files():
    found = {}
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            found[str(path.relative_to(PACKAGE))] = path.read_text()
    return found


@pytest.fixture
def namespace():
    name = f"symroute-dm-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "pids", name], capture_output=True, check=False)
        for pid in subprocess.run(
            ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
        ).stdout.split():
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "del", name], check=False)


def _run(namespace, tmp_path, confirm):
    directory = tmp_path / "lib"
    directory.mkdir()
    changed = tmp_path / "etc" / "symroute.conf"
    changed.parent.mkdir()
    changed.write_text("before\n")
    args = {
        "run_id": f"run-{uuid.uuid4().hex[:6]}",
        "file": str(changed),
        "snapshot": str(directory / "snapshot.json"),
        "record": str(directory / "confirm.json"),
        "timeout": TIMEOUT_S,
        "package": _package_files(),
        "confirm": confirm,
        "locks": [str(tmp_path / "run" / "converge.lock"), str(tmp_path / "run" / "routing.lock")],
    }
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPOSITORY / "module_utils"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", ARM_AND_CHANGE],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return args, json.loads(done.stdout), changed


def _table(namespace):
    return subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "list", "table", "inet", "symroute"],
        capture_output=True,
        text=True,
        check=False,
    )


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_an_unconfirmed_change_is_restored_by_the_detached_dead_man_within_timeout_plus_5_s(namespace, tmp_path):
    args, armed, changed = _run(namespace, tmp_path, confirm=False)
    assert armed["mechanism"] == "background" and _alive(armed["pid"])
    assert changed.read_text() == "after\n" and _table(namespace).returncode == 0  # the change is live
    deadline = armed["armed_at"] + TIMEOUT_S + 5
    record = None
    while time.time() < deadline:
        record = deadman_record.read(args["record"])
        if record["state"] != "armed":
            break
        time.sleep(0.1)
    assert record["state"] == "expired", record
    took = record["expired_at"] - armed["armed_at"]
    assert TIMEOUT_S <= took <= TIMEOUT_S + 5, took
    assert changed.read_text() == "before\n"
    assert _table(namespace).returncode != 0  # the table did not exist before: deleted
    assert "nft table inet symroute (deleted: it did not exist before)" in record["restored"]
    time.sleep(0.5)
    assert not _alive(armed["pid"])
    # The next converge (its lock held) is told once; the audit keeps reading it.
    reported = deadman.settle(args["record"], Runner())
    assert reported["run_id"] == args["run_id"] and reported["state"] == "expired"
    assert deadman.settle(args["record"], Runner()) is None
    assert deadman_record.last_outcome(args["record"])["state"] == "expired"
    # Counted for the monitor's metrics (what it writes every second from this record).
    status = publish.confirm_status(args["record"])
    assert status["restores_total"] == 1 and status["last_run_restored"] is True
    assert 'symroute_confirm_restores_total{router="lab"} 1' in publish.metrics(
        {"router": "lab", "links": {}, "partners": {}, "updated": time.time(), "confirm": status}
    )
    print(f"restored {took:.2f} s after arming (timeout {TIMEOUT_S} s)")


def test_a_confirmed_change_stays_and_its_dead_man_exits(namespace, tmp_path):
    args, armed, changed = _run(namespace, tmp_path, confirm=True)
    time.sleep(TIMEOUT_S + 2)
    assert deadman_record.read(args["record"])["state"] == "confirmed"
    assert changed.read_text() == "after\n" and _table(namespace).returncode == 0
    assert not _alive(armed["pid"])
