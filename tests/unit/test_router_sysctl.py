"""symroute_router.sysctl: sysctl.d key syntax, reading and writing only what differs (on a tmp /proc/sys)."""

import json
from pathlib import Path

import pytest

from symroute_router import sysctl


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
        ("net.ipv4.conf.wana.rp_filter", "/proc/sys/net/ipv4/conf/wana/rp_filter"),
        # '/' as first separator: the dots belong to the interface name (VLAN eth0.100)
        ("net/ipv4/conf/eth0.100/rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"),
        # '.' as first separator: a '/' inside a component stands for a dot
        ("net.ipv4.conf.eth0/100.rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"),
        ("net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding"),
    ],
)
def test_key_path_reads_keys_as_sysctl_d_does(name, path):
    assert sysctl.key_path(name) == path


@pytest.mark.parametrize("name", ["net/ipv4/../../kernel/core_pattern", "net..ipv4", "", "net/ipv4/conf/./x", 5])
def test_key_path_refuses_what_is_no_key(name):
    with pytest.raises(ValueError):
        sysctl.key_path(name)


@pytest.fixture
def root(tmp_path):
    for key, value in (
        ("net/ipv4/ip_forward", "0\n"),
        ("net/ipv4/conf/wana/rp_filter", "1\n"),
        ("net/ipv4/conf/eth0.100/rp_filter", "2\n"),
    ):
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
    return tmp_path


def test_read_gives_none_for_a_key_that_does_not_exist(root):
    assert sysctl.read(
        ["net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.wanb.rp_filter"], str(root)
    ) == {"net.ipv4.ip_forward": "0", "net/ipv4/conf/eth0.100/rp_filter": "2", "net.ipv4.conf.wanb.rp_filter": None}


def test_apply_writes_only_the_values_that_differ(root):
    wanted = [
        {"name": "net.ipv4.ip_forward", "value": "1"},
        {"name": "net/ipv4/conf/eth0.100/rp_filter", "value": "2"},
        {"name": "net.ipv4.conf.wana.rp_filter", "value": "2"},
    ]
    untouched = (root / "net/ipv4/conf/eth0.100/rp_filter").stat().st_mtime_ns
    assert sysctl.apply(wanted, str(root)) == ["net.ipv4.ip_forward", "net.ipv4.conf.wana.rp_filter"]
    assert (root / "net/ipv4/ip_forward").read_text() == "1\n"
    assert (root / "net/ipv4/conf/eth0.100/rp_filter").stat().st_mtime_ns == untouched
    assert sysctl.apply(wanted, str(root)) == []


def test_a_missing_key_is_an_error_when_applied(root):
    with pytest.raises(OSError):
        sysctl.apply({"net.ipv4.conf.wanb.rp_filter": "2"}, str(root))


def test_diff_lines(root):
    live = sysctl.read(
        ["net.ipv4.ip_forward", "net.ipv4.conf.wana.rp_filter", "net.ipv4.conf.wanb.rp_filter"], str(root)
    )
    wanted = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.wana.rp_filter": "1", "net.ipv4.conf.wanb.rp_filter": "2"}
    assert sysctl.diff(wanted, live) == ["net.ipv4.ip_forward: 0 -> 1", "net.ipv4.conf.wanb.rp_filter: (absent) -> 2"]


def test_values_compare_without_layout():
    assert (
        sysctl.diff({"net.ipv4.tcp_rmem": "4096 131072  6291456"}, {"net.ipv4.tcp_rmem": "4096\t131072\t6291456"}) == []
    )


def test_render_a_sysctl_d_file():
    text = sysctl.render([{"name": "net.ipv4.ip_forward", "value": "1"}], "Managed by symroute\nrouter \x1b edge")
    assert text == "# Managed by symroute\n# router \\x1b edge\nnet.ipv4.ip_forward = 1\n"


def test_the_values_before_symroute_are_recorded_once(tmp_path):
    path = str(tmp_path / "var" / "sysctl-original.json")
    assert sysctl.remember_originals({"net.ipv4.ip_forward": "0", "net.ipv4.conf.wanc.rp_filter": None}, path) == [
        "net.ipv4.ip_forward"
    ]
    # A later run (symroute's value now live) never overwrites the first record.
    assert sysctl.remember_originals({"net.ipv4.ip_forward": "1", "net.ipv4.conf.wana.rp_filter": "1"}, path) == [
        "net.ipv4.conf.wana.rp_filter"
    ]
    assert json.loads(Path(path).read_text(encoding="utf-8")) == {
        "net.ipv4.conf.wana.rp_filter": "1",
        "net.ipv4.ip_forward": "0",
    }


def _proc(tmp_path, interfaces):
    root = tmp_path / "proc-sys"
    for interface in interfaces:
        for family in ("ipv4", "ipv6"):
            (root / "net" / family / "conf" / interface).mkdir(parents=True)
            (root / "net" / family / "conf" / interface / "rp_filter").write_text("0\n")
    return root


def test_keys_of_an_interface_that_is_not_there_wait_for_it_and_other_missing_keys_do_not(tmp_path):
    root = _proc(tmp_path, ["wana"])
    names = [
        "net.ipv4.conf.wana.rp_filter",
        "net.ipv4.conf.wanc.rp_filter",
        "net.ipv4.conf.wana.no_such_key",
        "net.ipv4.conf.all.no_such_key",
        "net/ipv4/conf/ppp0.100/rp_filter",
    ]
    live = sysctl.read(names, root=str(root))
    assert sysctl.waiting(live, root=str(root)) == {
        "net.ipv4.conf.wanc.rp_filter": "wanc",
        "net/ipv4/conf/ppp0.100/rp_filter": "ppp0.100",
    }
    assert sysctl.interface_of("net.ipv4.conf.all.rp_filter") is None
    assert sysctl.interface_of("net.ipv4.ip_forward") is None
    assert sysctl.interface_of("net.ipv6.conf.eth0/100.forwarding") == "eth0.100"


def test_an_interface_keys_are_applied_from_the_sysctl_d_file_and_only_its_own(tmp_path):
    root = _proc(tmp_path, ["wana", "wanb"])
    path = tmp_path / "90-symroute.conf"
    path.write_text(
        "# Managed by symroute\nnet.ipv4.conf.wana.rp_filter = 2\nnet.ipv4.conf.wanb.rp_filter = 2\n"
        "net.ipv4.conf.wanc.rp_filter = 2\n\n; comment\n"
    )
    assert sysctl.parse(path.read_text()) == {
        "net.ipv4.conf.wana.rp_filter": "2",
        "net.ipv4.conf.wanb.rp_filter": "2",
        "net.ipv4.conf.wanc.rp_filter": "2",
    }
    originals = tmp_path / "sysctl-original.json"
    assert sysctl.apply_interface(str(path), "wana", root=str(root), originals=str(originals)) == [
        "net.ipv4.conf.wana.rp_filter"
    ]
    assert (root / "net/ipv4/conf/wana/rp_filter").read_text() == "2\n"
    assert json.loads(originals.read_text()) == {"net.ipv4.conf.wana.rp_filter": "0"}  # removal gives it back
    assert (root / "net/ipv4/conf/wanb/rp_filter").read_text() == "0\n"
    assert sysctl.apply_interface(str(path), "wana", root=str(root), originals=str(originals)) == []  # already so
    assert sysctl.apply_interface(str(path), "wanc", root=str(root), originals=str(originals)) == []  # not there
