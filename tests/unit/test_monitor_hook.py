"""The transition hook: run with the transition in its environment, never waited for."""

import time

from paths import REPOSITORY  # noqa: F401  (puts the monitor's package on sys.path)
from symroute_monitor.daemon import Hook
from symroute_monitor.tracker import Transition


def test_the_hook_gets_the_transition_in_its_environment(tmp_path):
    output = tmp_path / "hook.out"
    hook = Hook(f"sh -c 'echo $SYMROUTE_ROUTER $SYMROUTE_LINK $SYMROUTE_STATE $SYMROUTE_REASON > {output}'", "edge")
    hook(Transition("wan_a", False, "carrier lost", 12.0))
    hook.running[0].wait(timeout=10)
    assert output.read_text() == "edge wan_a down carrier lost\n"


def test_a_slow_hook_does_not_block_the_monitor():
    hook = Hook("sleep 5", "edge")
    started = time.monotonic()
    hook(Transition("wan_a", True, "10 good rounds in a row", 1.0))
    assert time.monotonic() - started < 1.0
    hook.running[0].kill()


def test_a_missing_hook_command_is_logged_not_raised(capsys):
    Hook("/nonexistent/symroute-hook", "edge")(Transition("wan_b", False, "carrier lost", 1.0))
    assert "hook /nonexistent/symroute-hook failed" in capsys.readouterr().out
