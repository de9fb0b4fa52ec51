"""The transition hook: an argv list run as it is, never waited for, never able to stop the monitor."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from monitorfakes import Recorder
from symroute_router.monitor import hook as hook_module
from symroute_router.monitor.hook import Hook, hook_argv
from symroute_router.monitor.tracker import Transition

PYTHON = os.path.abspath(sys.executable)
DOWN = Transition("wan_b", False, "carrier lost", 1.0)


def _run_python(code, *args):
    """A hook argv running ``code`` in this test's Python (an absolute path, as the hook requires)."""
    return [PYTHON, "-c", code, *args]


def _wait_all(hook):
    for process in hook.running:
        process.wait(timeout=10)


def test_the_hook_gets_the_transition_in_its_environment(tmp_path):
    output = tmp_path / "hook.out"
    hook = Hook(
        [
            "/bin/sh",
            "-c",
            'echo "$SYMROUTE_ROUTER $SYMROUTE_LINK $SYMROUTE_STATE $SYMROUTE_REASON" > "$0"',
            str(output),
        ],
        "edge",
    )
    hook(Transition("wan_a", False, "carrier lost", 12.0))
    _wait_all(hook)
    assert output.read_text() == "edge wan_a down carrier lost\n"


def test_the_hook_arguments_are_passed_as_they_are_never_split_or_interpreted(tmp_path):
    output = tmp_path / "argv.json"
    arguments = ["a b", "$HOME", "'unbalanced", "; touch /tmp/x", "*"]
    hook = Hook(
        _run_python(
            "import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))", str(output), *arguments
        ),
        "edge",
    )
    hook(Transition("wan_a", True, "10 good rounds in a row", 1.0))
    _wait_all(hook)
    assert json.loads(output.read_text()) == arguments


def test_a_slow_hook_does_not_block_the_monitor():
    hook = Hook(_run_python("import time; time.sleep(5)"), "edge")
    started = time.monotonic()
    hook(Transition("wan_a", True, "10 good rounds in a row", 1.0))
    assert time.monotonic() - started < 1.0
    assert hook.running[0].poll() is None  # still running: not waited for
    hook.running[0].kill()
    hook.running[0].wait(timeout=10)


def test_finished_hooks_are_reaped():
    hook = Hook(_run_python("pass"), "edge")
    hook(DOWN)
    first = hook.running[0]
    first.wait(timeout=10)
    hook(DOWN)  # each call first forgets the hooks that have ended
    assert first not in hook.running
    _wait_all(hook)
    hook.reap()  # the daemon's main loop also reaps between transitions
    assert hook.running == []


def test_a_missing_hook_program_is_logged_not_raised(capsys):
    Hook(["/nonexistent/symroute-hook"], "edge")(DOWN)
    out = capsys.readouterr().out
    assert "hook ['/nonexistent/symroute-hook'] for link wan_b down (carrier lost) failed: FileNotFoundError" in out


def test_the_hook_reads_dev_null_and_inherits_no_socket_of_the_monitor(tmp_path):
    output = tmp_path / "fds.json"
    try:  # like the monitor's carrier watcher: an rtnetlink socket
        held = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    except OSError:
        held = socket.socketpair()[0]
    # Even made inheritable on purpose, the socket must not reach the hook (close_fds).
    held.set_inheritable(True)
    code = (
        "import json, os, sys\n"
        "fd = int(sys.argv[2])\n"
        "try:\n    os.fstat(fd); inherited = True\nexcept OSError:\n    inherited = False\n"
        "stdin = os.stat(0)\n"
        "null = os.stat('/dev/null')\n"
        "same = (stdin.st_dev, stdin.st_ino, stdin.st_rdev) == (null.st_dev, null.st_ino, null.st_rdev)\n"
        "open(sys.argv[1], 'w').write(json.dumps({'inherited': inherited, 'stdin_is_dev_null': same}))\n"
    )
    with held:
        hook = Hook(_run_python(code, str(output), str(held.fileno())), "edge")
        hook(DOWN)
        _wait_all(hook)
    assert json.loads(output.read_text()) == {"inherited": False, "stdin_is_dev_null": True}


HOSTILE_HOOKS = [
    pytest.param("sh -c 'x", id="string-unbalanced-quote"),
    pytest.param("   ", id="string-spaces"),
    pytest.param("", id="empty-string"),
    pytest.param("/bin/true", id="string-even-if-a-valid-path"),
    pytest.param([""], id="empty-element"),
    pytest.param(["relative/path"], id="relative-path"),
    pytest.param(["true"], id="bare-name"),
    pytest.param([1, 2], id="integers"),
    pytest.param(["/bin/true", None], id="null-element"),
    pytest.param(["/bin/true", ""], id="empty-argument"),
    pytest.param(["/bin/true\x00"], id="nul"),
    pytest.param(["/bin/true", "a\x00b"], id="nul-in-argument"),
    pytest.param(["/bin/\ud800"], id="lone-surrogate"),
    pytest.param({"argv": ["/bin/true"]}, id="dict"),
    pytest.param(42, id="integer"),
    pytest.param(True, id="boolean"),
    pytest.param(("/bin/true",), id="tuple"),
]


@pytest.mark.parametrize("value", HOSTILE_HOOKS)
def test_a_hostile_hook_is_refused_once_at_start_and_never_raises(value):
    logs = Recorder()
    argv, problem = hook_argv(value)
    assert argv is None and problem
    hook = Hook(value, "edge", log=logs)
    assert len(logs) == 1
    assert logs[0][0].startswith("hook refused, running without one: ")
    for _ in range(3):
        hook(DOWN)
    assert hook.running == []  # nothing started
    assert len(logs) == 1  # refused once, at start: not at every transition


@pytest.mark.parametrize("value", [None, []])
def test_no_hook_is_quiet(value):
    logs = Recorder()
    hook = Hook(value, "edge", log=logs)
    hook(DOWN)
    assert hook.argv is None and hook.running == [] and logs == []


def test_a_valid_hook_is_taken_as_it_is():
    assert hook_argv(["/usr/local/bin/alert", "--team", "net"]) == (["/usr/local/bin/alert", "--team", "net"], None)


@pytest.mark.parametrize("error", [OSError("no"), ValueError("no"), TypeError("no"), RuntimeError("no")])
def test_any_failure_to_start_the_hook_is_logged_with_the_transition_not_raised(monkeypatch, error):
    def popen(*args, **kwargs):
        raise error

    monkeypatch.setattr(hook_module.subprocess, "Popen", popen)
    logs = Recorder()
    hook = Hook(["/usr/local/bin/alert"], "edge", log=logs)
    hook(DOWN)
    assert logs == [
        (f"hook ['/usr/local/bin/alert'] for link wan_b down (carrier lost) failed: {type(error).__name__}: no",)
    ]
    assert hook.running == []


def test_a_router_name_the_environment_cannot_hold_is_logged_not_raised():
    logs = Recorder()
    hook = Hook(_run_python("pass"), "ed\x00ge", log=logs)  # Popen refuses a NUL in the environment
    hook(DOWN)
    assert hook.running == []
    assert len(logs) == 1 and "failed: ValueError" in logs[0][0]


def test_the_hook_runs_without_a_shell(monkeypatch):
    seen, real_popen = {}, subprocess.Popen

    def popen(argv, **kwargs):
        seen.update(kwargs, argv=argv)
        return real_popen([PYTHON, "-c", "pass"])

    monkeypatch.setattr(hook_module.subprocess, "Popen", popen)
    hook = Hook(["/usr/local/bin/alert", "--team", "net"], "edge")
    hook(DOWN)
    _wait_all(hook)
    assert seen["argv"] == ["/usr/local/bin/alert", "--team", "net"]
    assert not seen.get("shell")
    assert seen["stdin"] == subprocess.DEVNULL and seen["close_fds"] is True
    assert seen["env"]["SYMROUTE_STATE"] == "down" and seen["env"]["SYMROUTE_REASON"] == "carrier lost"
