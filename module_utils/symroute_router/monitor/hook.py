"""The transition hook: an argv run on each link transition, never through a shell, never waited for.

A hook fires exactly when a link fails, and often talks over that link (an alert): it may hang. Each runs
with a minimal environment (PATH, LANG and the transition's SYMROUTE_* variables; nothing of the monitor's
own), in its own session (its process group is killed as a whole), is killed after ``timeout_s``, and at
most ``max_running`` run at once (a transition beyond that is logged and gets no hook): hooks can never
pile up to the unit's task limit, where ``ip`` could no longer fork and failover would stop.
"""

import os
import signal
import subprocess
import sys
import time

HOOK_TIMEOUT_S = 30.0
MAX_RUNNING = 4
MINIMAL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(message):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    sys.stdout.write(f"{stamp} symroute-monitor: {message}\n")
    sys.stdout.flush()


def hook_argv(value):
    """The hook setting checked: ``(argv, None)``, ``(None, None)`` for no hook, or ``(None, problem)``.

    The hook is an argv list, run as it is (never through a shell, never split):
    its first element an absolute path, every element a non-empty string without
    NUL. ``None`` or an empty list means no hook.
    """
    if value is None or (isinstance(value, list) and not value):
        return None, None
    if not isinstance(value, list):
        return None, f"must be a list of strings (an argv), not a {type(value).__name__}"
    for position, item in enumerate(value):
        if not isinstance(item, str):
            return None, f"element {position} is a {type(item).__name__}, not a string"
        if not item:
            return None, f"element {position} is empty"
        if "\x00" in item:
            return None, f"element {position} contains a NUL character"
        try:
            os.fsencode(item)
        except UnicodeError:
            return None, f"element {position} cannot be encoded for the file system"
    if not os.path.isabs(value[0]):
        return None, "its first element must be an absolute path to the program"
    return list(value), None


class Hook:
    """Runs the configured argv on each transition, without waiting for it.

    A hook setting that is not a valid argv is refused once, here, with a log
    line; the monitor then runs without a hook. Starting the hook may fail
    (missing program, no permission): that is logged, never raised.
    """

    def __init__(
        self, command, router, log=log, timeout_s=HOOK_TIMEOUT_S, max_running=MAX_RUNNING, clock=time.monotonic
    ):
        self.router, self.log, self.running = router, log, []
        self.timeout_s, self.max_running, self.clock, self.started = timeout_s, max_running, clock, {}
        self.argv, problem = hook_argv(command)
        if problem is not None:
            shown = repr(command)
            shown = shown if len(shown) <= 200 else shown[:200] + "..."
            self.log(f"hook refused, running without one: {problem} (setting {shown})")

    def reap(self):
        """Forget the hook processes that have ended (collecting their exit status); kill, with their whole
        session, those running longer than the timeout."""
        still = []
        for process in self.running:
            if process.poll() is not None:
                self.started.pop(process.pid, None)
                continue
            if self.clock() - self.started.get(process.pid, self.clock()) > self.timeout_s:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except OSError:
                    process.kill()
                self.log(f"hook {self.argv!r} (pid {process.pid}) killed after {self.timeout_s:g} s")
                self.started[process.pid] = float("inf")  # logged once; reaped at a later call
            still.append(process)
        self.running = still

    def __call__(self, transition):
        state = "up" if transition.up else "down"
        try:
            self.reap()
            if self.argv is None:
                return
            if len(self.running) >= self.max_running:
                self.log(
                    f"hook for link {transition.link} {state} ({transition.reason}) not run: "
                    f"{len(self.running)} hooks still running (at most {self.max_running})"
                )
                return
            environment = {
                "PATH": MINIMAL_PATH,
                "LANG": "C.UTF-8",
                "SYMROUTE_ROUTER": str(self.router),
                "SYMROUTE_LINK": str(transition.link),
                "SYMROUTE_STATE": state,
                "SYMROUTE_REASON": str(transition.reason),
            }
            process = subprocess.Popen(
                self.argv,
                env=environment,
                stdin=subprocess.DEVNULL,  # noqa: S603
                close_fds=True,
                start_new_session=True,
                cwd="/",
            )
            self.started[process.pid] = self.clock()
            self.running.append(process)
        except Exception as error:  # noqa: BLE001  (a hook never stops the monitor)
            self.log(
                f"hook {self.argv!r} for link {transition.link} {state} ({transition.reason}) "
                f"failed: {type(error).__name__}: {error}"
            )
