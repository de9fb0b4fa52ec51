"""Replays of real routers for symroute doctor's unit tests, and checks of the replays themselves.

tests/unit/doctor_samples/*.json were recorded by doctor_samples/record.py in network namespaces
(iproute2 6.1, nftables 1.0.6, conntrack-tools 1.4.7): every command the doctor ran with its exact
output, every /proc/sys value it read, every TCP connect it made. ``Replay`` answers the same
commands the same way, ``read_sysctl`` and ``connector`` give the recorded values, and a test
changes any of them to build another situation from a real one.
"""

import copy
import json

import pytest

from paths import REPOSITORY
from symroute_router.command import Result

SAMPLES = REPOSITORY / "tests" / "unit" / "doctor_samples"
# The only programs and verbs the doctor may run: it reads, it never changes anything.
READ_ONLY = (
    ("ip", "-4", "-json", "route", "show", "default"),
    ("ip", "-6", "-json", "route", "show", "default"),
    ("ip", "-json", "addr", "show"),
    ("ip", "-4", "-json", "rule"),
    ("ip", "-6", "-json", "rule"),
    ("ip", "-json", "route", "get"),
    ("nft", "-json", "list", "ruleset"),
    ("nft", "-json", "list", "table", "inet", "symroute"),
    ("conntrack", "-L", "-f", "ipv4", "-p", "tcp"),
    ("conntrack", "-L", "-f", "ipv6", "-p", "tcp"),
)
UNROUTABLE = Result(2, "", "RTNETLINK answers: Network is unreachable\n")


def sample(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def is_read_only(argv):
    return any(tuple(argv[: len(prefix)]) == prefix for prefix in READ_ONLY)


class Replay:
    """A runner answering recorded commands; a command answered several times (conntrack over a watch
    window) gives its answers in turn, then the last again. ``answers`` may be changed by a test."""

    def __init__(self, recording):
        self.answers = {}
        for argv, rc, stdout, stderr in recording["commands"]:
            self.answers.setdefault(tuple(argv), []).append(Result(rc, stdout, stderr))
        self.calls = []

    def set(self, argv, *results):
        self.answers[tuple(argv)] = list(results)

    def remove(self, program):
        """As if ``program`` were not installed."""
        for argv in list(self.answers):
            if argv[0] == program:
                del self.answers[argv]
        self.answers[("missing", program)] = []

    def run(self, argv, stdin=None):
        argv = tuple(str(word) for word in argv)
        self.calls.append(argv)
        assert is_read_only(argv), f"the doctor ran a command that is not a read: {argv}"
        if ("missing", argv[0]) in self.answers:
            return Result(127, "", f"{argv[0]}: No such file or directory")
        answers = self.answers.get(argv)
        if answers is None:
            assert argv[:4] == ("ip", "-json", "route", "get"), f"no recorded answer for {argv}"
            return UNROUTABLE
        return answers.pop(0) if len(answers) > 1 else answers[0]


class Connector:
    """TCP connects answered as recorded, or as a test says: {(source, interface, address, port): (result, text)}."""

    def __init__(self, recording=None):
        self.outcomes = {tuple(c[1:5]): (c[5], c[6]) for c in (recording or {}).get("connects", [])}
        self.calls = []

    def __call__(self, family, source, interface, address, port, timeout_s):
        self.calls.append((family, source, interface, address, port, timeout_s))
        return self.outcomes.get((source, interface, address, port), ("no answer", ""))


def sysctl_reader(values):
    return lambda path: values.get(path)


def replayed(name):
    """(recording, Replay, Connector, read_sysctl) of a sample, each a fresh copy."""
    recording = sample(name)
    return recording, Replay(recording), Connector(recording), sysctl_reader(dict(recording["sysctl"]))


# --------------------------------------------------------------------- the replays themselves
@pytest.mark.parametrize("name", ["incident", "symroute"])
def test_every_recorded_command_is_a_read(name):
    assert all(is_read_only(argv) for argv, *_ in sample(name)["commands"])


def test_a_repeated_command_gives_its_answers_in_turn_then_the_last():
    replay = Replay(
        {
            "commands": [
                [["conntrack", "-L", "-f", "ipv4", "-p", "tcp"], 0, "a", ""],
                [["conntrack", "-L", "-f", "ipv4", "-p", "tcp"], 0, "b", ""],
            ]
        }
    )
    argv = ["conntrack", "-L", "-f", "ipv4", "-p", "tcp"]
    assert [replay.run(argv).stdout for _ in range(3)] == ["a", "b", "b"]


def test_a_write_or_an_unknown_command_fails_the_test():
    replay = Replay(copy.deepcopy(sample("incident")))
    with pytest.raises(AssertionError):
        replay.run(["ip", "route", "add", "default", "via", "198.51.100.1"])
    assert replay.run(["ip", "-json", "route", "get", "192.0.2.99"]) == UNROUTABLE


def test_the_incident_sample_is_the_incident():
    """Recorded, not invented: the site's address by wana went unanswered, everything else was answered."""
    outcomes = {(c[1], c[2]): c[5] for c in sample("incident")["connects"] if c[3] == "100.64.20.10"}
    assert outcomes == {
        ("198.51.100.2", "wana"): "answered",
        ("198.51.100.6", "wanb"): "answered",
        ("203.0.113.1", "wana"): "no answer",
        ("203.0.113.1", "wanb"): "answered",
    }
