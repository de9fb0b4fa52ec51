"""Run a program: an argument list, never a shell; text in, text out, no exception on failure, never
waited for longer than a timeout (a hung ``ip`` or ``nft`` is killed and reported, rc 124)."""

import collections
import os
import subprocess

Result = collections.namedtuple("Result", "rc stdout stderr")
# Far above what ip, nft or conntrack take (a 10,000-prefix nft load: about a second); a program still
# running then is hung, and is killed instead of stalling the converge or the monitor.
DEFAULT_TIMEOUT_S = 60.0
TIMED_OUT = 124


class Runner:
    """Runs commands, optionally behind a prefix (``["ip", "netns", "exec", "ns1"]``).

    Tests hand the package any object with the same ``run`` method.
    """

    def __init__(self, prefix=None, env=None, timeout=DEFAULT_TIMEOUT_S):
        self.prefix = list(prefix or [])
        self.env = env
        self.timeout = timeout

    def run(self, argv, stdin=None):
        """``Result(rc, stdout, stderr)``; a program that cannot be started is rc 127, one killed after the
        timeout rc 124."""
        command = self.prefix + [str(arg) for arg in argv]
        try:
            done = subprocess.run(
                command, input=stdin, capture_output=True, text=True, check=False, env=self.env, timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            return Result(TIMED_OUT, "", f"{command[0]}: killed after {self.timeout:g} s (timed out)")
        except OSError as error:
            return Result(127, "", f"{command[0]}: {error.strerror or error}")
        return Result(done.returncode, done.stdout, done.stderr)


def detach(argv, env):
    """Start ``argv`` detached (its own session, /dev/null for stdin and output, working directory /, no
    descriptor of ours) and do not wait for it; its pid. OSError when it cannot be started."""
    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            [str(arg) for arg in argv],
            stdin=stdin,
            stdout=devnull,  # noqa: S603
            stderr=devnull,
            env=env,
            cwd="/",
            start_new_session=True,
            close_fds=True,
        )
    return process.pid


def message(result, fallback):
    """The error text of a failed command: its stderr, else ``fallback``."""
    text = " ".join(line.strip() for line in (result.stderr or "").splitlines() if line.strip())
    return text or fallback
