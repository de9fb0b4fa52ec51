"""Run a program: an argument list, never a shell; text in, text out, no exception on failure."""

import collections
import subprocess

Result = collections.namedtuple("Result", "rc stdout stderr")


class Runner:
    """Runs commands, optionally behind a prefix (``["ip", "netns", "exec", "ns1"]``).

    Tests hand the package any object with the same ``run`` method.
    """

    def __init__(self, prefix=None, env=None):
        self.prefix = list(prefix or [])
        self.env = env

    def run(self, argv, stdin=None):
        """``Result(rc, stdout, stderr)``; a program that cannot be started is rc 127."""
        command = self.prefix + [str(arg) for arg in argv]
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, env=self.env)
        except OSError as error:
            return Result(127, "", f"{command[0]}: {error.strerror or error}")
        return Result(done.returncode, done.stdout, done.stderr)


def message(result, fallback):
    """The error text of a failed command: its stderr, else ``fallback``."""
    text = " ".join(line.strip() for line in (result.stderr or "").splitlines() if line.strip())
    return text or fallback
