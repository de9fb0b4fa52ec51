"""An HA pair's live state read on one router (symroute_router.ha_read), on what keepalived's and
conntrackd's programs printed on the HA lab, and on hostile answers: garbage, missing programs, a truncated
or foreign state file. Every read says what it could not read; none raises."""

import copy

import hasamples
import pytest
from hasamples import HA_SECTION

from symroute_router import ha_read
from symroute_router.command import Result


def test_the_lab_master_s_state_as_read(tmp_path):
    state = tmp_path / "ha-state"
    state.write_text("master 1796613085.068379986\n")
    found = ha_read.read(hasamples.router(), HA_SECTION, state_file=str(state))
    assert found["vrrp"] == {"state": "master", "since": 1796613085.068379986, "error": None}
    assert found["services"] == {
        "keepalived": {"state": "active", "error": None},
        "conntrackd": {"state": "active", "error": None},
    }
    assert found["sync"] == {"peer": "10.255.0.2", "interface": "sync0", "reachable": True, "error": None}
    assert found["addresses"]["wan_a4"] == {
        "interface": "wana",
        "addresses": ["198.51.100.4/29"],
        "held": ["198.51.100.4/29"],
    }
    assert found["caches"] == {
        "internal": {"active": 1, "created": 1, "updated": 2, "destroyed": 0},
        "external": {"active": 0, "created": 0, "updated": 0, "destroyed": 0},
        "error": None,
    }
    internal = found["dumps"]["internal"]
    assert internal["entries"] == [
        {"protocol": "tcp", "tuple": hasamples.TUPLE, "reply_dst": "198.51.100.4", "mark": 33024, "age_s": 5}
    ]
    assert internal["unparsed"] == 0 and found["dumps"]["external"]["entries"] == []


def test_the_backup_s_external_entry_has_only_its_original_tuple():
    found = ha_read.dump(hasamples.router("backup"), "external")
    assert found["entries"] == [
        {"protocol": "tcp", "tuple": hasamples.TUPLE, "reply_dst": None, "mark": 33024, "age_s": 9}
    ]


def test_the_ping_runs_over_the_sync_interface_from_no_shell():
    runner = hasamples.router()
    ha_read.peer(runner, HA_SECTION["sync"])
    assert runner.calls[-1][:1] == ["ping"] and runner.calls[-1][-3:] == ["-I", "sync0", "10.255.0.2"]


@pytest.mark.parametrize(
    "text, error",
    [
        (None, "is missing"),
        ("", "holds no VRRP state (empty)"),
        ("mas", "holds no VRRP state (3 characters, none of master, backup, fault, stopped first)"),
        ("\x00\x01garbage", "holds no VRRP state (9 characters"),
        ("MASTER 12", "holds no VRRP state (9 characters"),
        ("root:$y$j9T$secret:19000:0:99999:7:::\n", "holds no VRRP state (38 characters"),
    ],
)
def test_a_missing_truncated_or_foreign_state_file_gives_no_state_and_says_why(tmp_path, text, error):
    path = tmp_path / "ha-state"
    if text is not None:
        path.write_text(text)
    found = ha_read.vrrp_state(str(path))
    assert found["state"] is None and error in found["error"], found
    assert "secret" not in found["error"] and "garbage" not in found["error"]  # its content is never shown


def test_a_state_file_that_is_a_directory_or_not_text_is_said(tmp_path):
    (tmp_path / "dir").mkdir()
    assert "cannot be read (IsADirectoryError)" in ha_read.vrrp_state(str(tmp_path / "dir"))["error"]
    (tmp_path / "binary").write_bytes(b"\xff\xfe master")
    assert ha_read.vrrp_state(str(tmp_path / "binary"))["state"] is None


def test_a_state_without_its_time_or_with_a_truncated_one_keeps_the_state(tmp_path):
    path = tmp_path / "ha-state"
    path.write_text("backup 17966")
    assert ha_read.vrrp_state(str(path)) == {"state": "backup", "since": 17966.0, "error": None}
    path.write_text("fault 1796x")
    assert ha_read.vrrp_state(str(path)) == {"state": "fault", "since": None, "error": None}


@pytest.mark.parametrize(
    "output",
    [
        "",
        "garbage\n\x00\x1b[31m",
        "cache internal:\ncurrent active connections: lots\n",
        "cache internal:\ncurrent active connections:   3\n",  # truncated before the external cache
        "cache external:\ncurrent active connections:   3\n",
    ],
)
def test_garbage_from_conntrackd_s_gives_an_error_never_a_count_made_up(output):
    found = ha_read.stats(hasamples.router(answers={("conntrackd", "-s"): Result(0, output, "")}))
    assert found["error"] == "conntrackd -s printed no count of its internal and external caches"
    assert found["internal"] is None or found["external"] is None


def test_missing_programs_are_said_not_raised(tmp_path):
    runner = hasamples.Runner({})  # nothing installed
    found = ha_read.read(runner, HA_SECTION, state_file=str(tmp_path / "none"))
    assert found["services"]["keepalived"] == {"state": None, "error": "systemctl is not installed"}
    assert found["sync"]["reachable"] is None and found["sync"]["error"] == "ping is not installed"
    assert found["caches"]["error"] == "conntrackd is not installed"
    assert found["dumps"]["internal"]["error"] == "conntrackd is not installed"
    assert all(entry["held"] == [] for entry in found["addresses"].values())


def test_a_conntrackd_that_fails_is_said_with_its_message():
    failed = Result(1, "", "[ERROR] can't connect: is conntrackd running? appropriate permissions?\n")
    found = ha_read.stats(hasamples.router(answers={("conntrackd", "-s"): failed}))
    assert found["error"].startswith("conntrackd -s failed (rc 1): [ERROR] can't connect")


def test_garbage_cache_lines_are_counted_apart_and_the_good_ones_kept():
    dump = hasamples.INTERNAL_MASTER + "garbage line\nudp 17 src=1.2.3.4\n\x00\x00\n" + "tcp 6 x=y z=w\n"
    found = ha_read.dump(hasamples.router(answers={("conntrackd", "-i"): Result(0, dump, "")}), "internal")
    assert [entry["tuple"] for entry in found["entries"]] == [hasamples.TUPLE]
    assert found["unparsed"] == 4


ICMPV6 = (
    "icmpv6   58 src=2001:db8:5::10 dst=2001:db8:20::10 type=128 code=0 id=4711 src=2001:db8:20::10 "
    "dst=2001:db8:5::10 type=129 code=0 id=4711 mark=33024 [active since 7s]\n"
)


def test_icmpv6_and_other_protocol_names_with_digits_are_entries():
    """conntrackd prints icmpv6 and udplite: a protocol name is a lower-case word that may hold digits."""
    udplite = (
        "udplite  136 src=10.1.1.1 dst=10.2.2.2 sport=1 dport=2 src=10.2.2.2 dst=10.1.1.1 sport=2 dport=1 mark=0\n"
    )
    dump = ICMPV6 + udplite
    found = ha_read.dump(hasamples.router(answers={("conntrackd", "-i"): Result(0, dump, "")}), "internal")
    assert found["unparsed"] == 0 and [entry["tuple"] for entry in found["entries"]] == [
        "icmpv6 2001:db8:5::10 2001:db8:20::10 128 0 4711",
        "udplite 10.1.1.1 10.2.2.2 1 2",
    ]
    assert found["entries"][0]["age_s"] == 7 and found["entries"][0]["mark"] == 33024
    for hostile in ("6tcp 6 src=1 dst=2 x=y\n", "-tcp 6 src=1 dst=2 x=y\n", "TCP 6 src=1 dst=2 x=y\n"):
        found = ha_read.dump(hasamples.router(answers={("conntrackd", "-i"): Result(0, hostile, "")}), "internal")
        assert found["entries"] == [] and found["unparsed"] == 1, hostile


@pytest.mark.parametrize(
    "sync",
    [
        {"peer": "-f; reboot", "interface": "sync0"},
        {"peer": "-f", "interface": "sync0"},  # an option to ping, not an address
        {"peer": "10.255.0.2", "interface": "-b"},
        {"peer": "10.255.0.2\n", "interface": "sync0"},
        {"peer": "10.255.0.2", "interface": "sync0\n-f"},
        {"peer": 7},
    ],
)
def test_a_hostile_sync_section_runs_no_ping(sync):
    runner = hasamples.router()
    found = ha_read.peer(runner, sync)
    assert found["reachable"] is None and "no usable peer" in found["error"] and runner.calls == []


def test_systemctl_garbage_is_no_state():
    runner = hasamples.router(answers={("systemctl", "is-active", "keepalived.service"): Result(3, "\x1b]0;x\x07", "")})
    assert ha_read.services(runner)["keepalived"]["state"] is None


def test_ip_garbage_holds_nothing():
    ha = copy.deepcopy(HA_SECTION)
    for answer in ("not json", "[1, 2, null]", '[{"ifname": "wana", "addr_info": [7, {"local": "x"}]}]'):
        found = ha_read.addresses(hasamples.router(answers={("ip", "-json", "addr", "show"): answer}), ha)
        assert all(entry["held"] == [] for entry in found.values()), answer
