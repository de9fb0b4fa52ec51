"""What keepalived's and conntrackd's programs printed on the HA lab's routers (tests/halab.py, a live TCP
stream from the client to the partner through edge-1, the master), and a runner that replays them."""

import json

from hafixture import ha_plan

from symroute_router.command import Result


def _printed_section():
    """The pair section of the lab router the samples were printed on: edge-1's real plan
    (tests/hafixture.py) as it was then, before wan_b was shared (the samples hold no wan_b address)."""
    ha = ha_plan()["ha"]
    ha["instances"] = [instance for instance in ha["instances"] if instance["segment"] != "wan_b"]
    ha["links"] = {name: link for name, link in ha["links"].items() if name != "wan_b"}
    return ha


HA_SECTION = _printed_section()

STATS_MASTER = """cache internal:
current active connections:\t           1
connections created:\t\t           1\tfailed:\t           0
connections updated:\t\t           2\tfailed:\t           0
connections destroyed:\t\t           0\tfailed:\t           0

cache external:
current active connections:\t           0
connections created:\t\t           0\tfailed:\t           0
connections updated:\t\t           0\tfailed:\t           0
connections destroyed:\t\t           0\tfailed:\t           0

traffic processed:
                   0 Bytes                         0 Pckts

UDP traffic (active device=sync0):
                 340 Bytes sent                  192 Bytes recv
"""
STATS_BACKUP = STATS_MASTER.replace(
    "active connections:\t           1", "active connections:\t           0", 1
).replace(
    "cache external:\ncurrent active connections:\t           0",
    "cache external:\ncurrent active connections:\t           1",
)
INTERNAL_MASTER = (
    "tcp      6 ESTABLISHED src=203.0.113.50 dst=100.64.20.10 sport=37034 dport=9000 src=100.64.20.10 "
    "dst=198.51.100.4 sport=9000 dport=37034 [ASSURED] mark=33024 [active since 5s]\n"
)
EXTERNAL_BACKUP = (
    "tcp      6 ESTABLISHED src=203.0.113.50 dst=100.64.20.10 sport=37034 dport=9000 [ASSURED] mark=33024 "
    "[active since 9s]\n"
)
DEPRECATED = "[Mon Dec  7 03:11:45 2026] (pid=500) [warning] deprecated unix backlog configuration, ignoring.\n"
TUPLE = "tcp 203.0.113.50 100.64.20.10 37034 9000"


def addresses(held):
    """`ip -json addr show` with ``held`` ([(interface, address/len)]) besides the routers' own."""
    entries = {}
    for interface, address in [("wana", "198.51.100.2/29"), ("sync0", "10.255.0.1/30"), *held]:
        local, length = address.split("/")
        entries.setdefault(interface, []).append({"family": "inet", "local": local, "prefixlen": int(length)})
    return json.dumps([{"ifname": name, "addr_info": info} for name, info in entries.items()])


class Runner:
    """Answers by the command's first words; a program not in ``answers`` is not installed (rc 127)."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def run(self, argv, stdin=None):
        self.calls.append(list(argv))
        for words, result in self.answers.items():
            if list(argv[: len(words)]) == list(words) or (
                words[0] == argv[0] and all(word in argv for word in words[1:])
            ):
                return result if isinstance(result, Result) else Result(0, result, "")
        return Result(127, "", f"{argv[0]}: No such file or directory")


MASTER_HELD = (("wana", "198.51.100.4/29"), ("lan0", "203.0.113.1/24"), ("lan0", "2001:db8:5::1/64"))


def router(state="master", held=MASTER_HELD, ping_rc=0, **changes):
    """A runner answering as one router of the lab's pair."""
    answers = {
        ("systemctl", "is-active", "keepalived.service"): "active\n",
        ("systemctl", "is-active", "conntrackd.service"): "active\n",
        ("ping",): Result(ping_rc, "", ""),
        ("ip", "-json", "addr", "show"): addresses(list(held)),
        ("conntrackd", "-s"): Result(0, STATS_MASTER if state == "master" else STATS_BACKUP, DEPRECATED),
        ("conntrackd", "-i"): Result(0, INTERNAL_MASTER if state == "master" else "", DEPRECATED),
        ("conntrackd", "-e"): Result(0, "" if state == "master" else EXTERNAL_BACKUP, DEPRECATED),
        ("keepalived", "-t"): Result(0, "", ""),
    }
    answers.update(changes.get("answers", {}))
    return Runner(answers)
