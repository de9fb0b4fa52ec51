"""symroute_router.command.Runner: argument lists, an optional prefix, stdin, no exception on failure."""

import sys

from symroute_router.command import Result, Runner, message


def test_run_passes_stdin_and_returns_rc_stdout_stderr():
    code = "import sys; data = sys.stdin.read(); print(data.upper()); print('warn', file=sys.stderr); sys.exit(3)"
    assert Runner().run([sys.executable, "-c", code], stdin="a; rm -rf /\n") == Result(3, "A; RM -RF /\n\n", "warn\n")


def test_a_prefix_runs_before_the_command():
    result = Runner(prefix=[sys.executable, "-c", "import sys; print(sys.argv[1:])"]).run(["ip", "rule", "$HOME"])
    assert result.stdout == "['ip', 'rule', '$HOME']\n"  # no shell: nothing expanded


def test_a_program_that_does_not_exist_is_rc_127():
    result = Runner().run(["/nonexistent/symroute-test-program"])
    assert result.rc == 127 and "No such file" in result.stderr


def test_message_is_stderr_on_one_line():
    assert message(Result(1, "", "Error: a\n  b\n"), "fallback") == "Error: a b"
    assert message(Result(1, "", ""), "fallback") == "fallback"
