"""Nothing outside can stall or fool the monitor (issue #24, the monitor-side items), each with real
processes, sockets and files: subprocess timeouts, the routing lock held by another process, the metrics
write and a planted symlink, the hook's environment, session, timeout and cap, and http checks (2xx only)."""

import http.server
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from symroute_router.command import Runner
from symroute_router.monitor import probes, publish
from symroute_router.monitor.hook import Hook
from symroute_router.monitor.repair import Repairer
from symroute_router.monitor.tracker import Transition

DOWN = Transition("wan_b", False, "carrier lost", 1.0)


def test_a_hung_program_is_killed_after_the_runners_timeout():
    began = time.monotonic()
    result = Runner(timeout=0.5).run(["sleep", "30"])
    assert result.rc == 124 and "timed out" in result.stderr
    assert time.monotonic() - began < 5


def test_the_metrics_write_never_follows_a_symlink_at_the_old_temporary_name_or_the_target(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    (textfiles / ".symroute.prom.tmp").symlink_to(victim)  # the fixed name the old code opened with "w"
    state = tmp_path / "run" / "monitor.json"
    old_umask = os.umask(0o077)  # the unit's UMask
    try:
        publish._write_atomically(str(textfiles / "symroute.prom"), "symroute_up 1\n")
        publish._write_atomically(str(state), "{}\n")
    finally:
        os.umask(old_umask)
    assert victim.read_text() == "precious\n"
    assert (textfiles / "symroute.prom").read_text() == "symroute_up 1\n"
    assert stat.S_IMODE((textfiles / "symroute.prom").stat().st_mode) == 0o644  # node_exporter reads it
    (textfiles / "symroute.prom").unlink()
    (textfiles / "symroute.prom").symlink_to(victim)  # a symlink at the target itself is replaced, not followed
    publish._write_atomically(str(textfiles / "symroute.prom"), "symroute_up 0\n")
    assert victim.read_text() == "precious\n" and not (textfiles / "symroute.prom").is_symlink()
    assert sorted(path.name for path in textfiles.iterdir()) == [".symroute.prom.tmp", "symroute.prom"]


# ------------------------------------------------------------------ the routing lock, held by another process
def test_a_routing_lock_held_elsewhere_defers_the_repair_instead_of_stalling_the_monitor(tmp_path):
    lock = tmp_path / "routing.lock"
    state = tmp_path / "routing.json"
    state.write_text(json.dumps({"rules": [], "routes": []}))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import fcntl, sys, time
        handle = open({str(lock)!r}, "a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        print("held", flush=True)
        sys.stdin.readline()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    logs, applied = [], []
    repairer = Repairer(str(state), runner=None, log=logs.append, clock=time.monotonic, lock_path=str(lock))
    from symroute_router.monitor import repair as repair_module

    original = repair_module.routing.apply
    repair_module.routing.apply = lambda runner, state, **kwargs: applied.append(state) or {"changed": False}
    try:
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        assert repairer.repair("carrier up on wana") is False
        assert time.monotonic() - began < 0.5  # bounded: the event loop goes on
        assert applied == [] and repairer.deferred == "carrier up on wana"
        assert logs == ["repair after carrier up on wana deferred: the routing lock is held elsewhere"]
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        time.sleep(0.6)
        repairer.tick()  # retried once the lock is free
        assert len(applied) == 1 and repairer.deferred is None
    finally:
        repair_module.routing.apply = original
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------ the hook
def _hook(tmp_path, code, **kwargs):
    return Hook([sys.executable, "-c", code, str(tmp_path / "out")], "edge", **kwargs)


def test_the_hook_runs_with_a_minimal_environment_in_its_own_session(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMROUTE_TEST_SECRET", "monitor-only")
    hook = _hook(
        tmp_path,
        "import json, os, sys; json.dump({'env': dict(os.environ), 'sid': os.getsid(0), "
        "'pid': os.getpid(), 'cwd': os.getcwd()}, open(sys.argv[1], 'w'))",
    )
    hook(DOWN)
    hook.running[0].wait(timeout=10)
    seen = json.loads((tmp_path / "out").read_text())
    assert set(seen["env"]) <= {
        "PATH",
        "LANG",
        "LC_CTYPE",
        "SYMROUTE_ROUTER",
        "SYMROUTE_LINK",
        "SYMROUTE_STATE",
        "SYMROUTE_REASON",
    }
    assert seen["env"]["SYMROUTE_STATE"] == "down" and "SYMROUTE_TEST_SECRET" not in seen["env"]
    assert seen["sid"] == seen["pid"] and seen["cwd"] == "/"


def test_a_hook_that_hangs_is_killed_with_its_children_after_the_timeout(tmp_path):
    code = (
        "import subprocess, sys, time; child = subprocess.Popen(['sleep', '300']);"
        " open(sys.argv[1], 'w').write(str(child.pid)); time.sleep(300)"
    )
    logs = []
    hook = _hook(tmp_path, code, timeout_s=0.5, log=logs.append)
    hook(DOWN)
    deadline = time.monotonic() + 10
    while not (tmp_path / "out").exists() or not (tmp_path / "out").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int((tmp_path / "out").read_text())
    process = hook.running[0]
    time.sleep(0.6)
    hook.reap()  # the monitor's loop calls this
    assert process.wait(timeout=5) == -9
    assert any("killed after 0.5 s" in line for line in logs)
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{grandchild}") and _state(grandchild) != "Z":
        assert time.monotonic() < deadline, "the hook's child survived"
        time.sleep(0.05)
    hook.reap()
    assert hook.running == []


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_at_most_max_running_hooks_run_at_once(tmp_path):
    logs = []
    hook = _hook(tmp_path, "import time; time.sleep(30)", max_running=2, log=logs.append)
    try:
        for _ in range(3):
            hook(DOWN)
        assert len(hook.running) == 2
        assert logs == ["hook for link wan_b down (carrier lost) not run: 2 hooks still running (at most 2)"]
    finally:
        for process in hook.running:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ http checks: 2xx only
class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.server.status)
        self.send_header("Location", "http://portal.example/login")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status,healthy", [(200, True), (204, True), (302, False), (301, False), (404, False)])
def test_an_http_target_is_healthy_only_on_2xx(status, healthy):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    server.status = status
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = {"kind": "http", "host": "127.0.0.1", "port": server.server_address[1], "path": "/health"}
        link = {"interface": "lo", "addresses": [{"family": 4, "address": "127.0.0.1"}]}
        answer = probes.probe_target(target, link, 3.0)
        assert (answer is not None) is healthy, (status, answer)
    finally:
        server.shutdown()
        server.server_close()
