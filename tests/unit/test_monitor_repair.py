"""The monitor repairs symroute's routing from the state file: when an interface comes back, and periodically."""

import json

import pytest
from test_router_routing import TWO_LINKS

from router_fakes import FakeRouter
from symroute_router.monitor.repair import Repairer


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _repairer(tmp_path, fake, logs, clock):
    state = tmp_path / "routing.json"
    state.write_text(json.dumps(TWO_LINKS))
    return Repairer(
        str(state),
        fake,
        logs.append,
        clock,
        every_s=30,
        owned_path=str(tmp_path / "owned.json"),
        lock_path=str(tmp_path / "lock"),
    )


def _table(fake, table):
    return fake.routes.get((4, str(table)), fake.routes.get((4, table), []))


def test_an_interface_bounce_gets_its_link_table_back_at_once(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = _repairer(tmp_path, fake, logs, clock)
    assert repairer.repair("start") is True and _table(fake, 200)
    # The kernel deletes every route through wana when it goes down.
    for key in [key for key in fake.routes if str(key[1]) == "200"]:
        fake.routes[key] = []
    repairer.carrier("wana", False)
    assert not _table(fake, 200)  # no carrier: nothing to repair yet
    repairer.carrier("wana", True)
    assert _table(fake, 200)
    assert repairer.report()["total"] == 2 and repairer.report()["last"]["reason"] == "carrier up on wana"
    assert any("repaired symroute's rules and routes after carrier up on wana" in line for line in logs)


def test_nothing_to_repair_changes_nothing_and_counts_nothing(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = _repairer(tmp_path, fake, logs, clock)
    repairer.repair("start")
    writes = len(fake.writes())
    repairer.carrier("wanb", True)
    assert len(fake.writes()) == writes and repairer.report()["total"] == 1


def test_the_periodic_reconcile_runs_only_when_its_interval_is_over(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = _repairer(tmp_path, fake, logs, clock)
    repairer.repair("start")
    for key in [key for key in fake.routes if str(key[1]) == "201"]:
        fake.routes[key] = []  # another tool flushed link B's table
    clock.now += 29
    repairer.tick()
    assert not _table(fake, 201)
    clock.now += 2
    repairer.tick()
    assert _table(fake, 201) and repairer.report()["last"]["reason"] == "periodic reconcile"


def test_an_unreadable_state_or_a_refusing_kernel_is_logged_never_raised(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = Repairer(
        str(tmp_path / "missing.json"), fake, logs.append, clock, owned_path=str(tmp_path / "o"), lock_path=None
    )
    assert repairer.repair("start") is False and "unreadable" in logs[-1]
    refusing = FakeRouter()
    refusing.refuse = ["rule"]
    repairer = _repairer(tmp_path, refusing, logs, clock)
    assert repairer.repair("start") is False
    assert repairer.report()["failures"] == 1 and "repair after start failed" in logs[-1]


def test_an_interface_that_appears_gets_its_sysctls_from_symroutes_file_before_its_routes(tmp_path):
    """An LTE device absent at the converge (its keys waited) or re-created with the kernel's defaults."""
    root = tmp_path / "proc-sys"
    (root / "net" / "ipv4" / "conf" / "wana").mkdir(parents=True)
    (root / "net" / "ipv4" / "conf" / "wana" / "rp_filter").write_text("1\n")
    sysctl_file = tmp_path / "90-symroute.conf"
    sysctl_file.write_text("net.ipv4.conf.wana.rp_filter = 2\nnet.ipv4.conf.wanb.rp_filter = 2\n")
    fake, logs, clock = FakeRouter(), [], Clock()
    state = tmp_path / "routing.json"
    state.write_text(json.dumps(TWO_LINKS))
    repairer = Repairer(
        str(state),
        fake,
        logs.append,
        clock,
        owned_path=str(tmp_path / "owned.json"),
        lock_path=str(tmp_path / "lock"),
        sysctl_file=str(sysctl_file),
        sysctl_root=str(root),
        sysctl_originals=str(tmp_path / "sysctl-original.json"),
    )
    repairer.carrier("wana", True)
    assert (root / "net" / "ipv4" / "conf" / "wana" / "rp_filter").read_text() == "2\n"
    assert logs[0] == "applied the sysctls of wana: net.ipv4.conf.wana.rp_filter"
    assert logs[1].startswith("repaired symroute's rules and routes after carrier up on wana")  # sysctls first
    assert _table(fake, 200)
    repairer.carrier("wanb", True)  # wanb's keys: its interface is not in this /proc/sys, nothing written
    assert not (root / "net" / "ipv4" / "conf" / "wanb").exists()


NFT_FILE = (
    "table inet symroute\ndelete table inet symroute\n"
    "table inet symroute {\n\tset wan_a_failover_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
    "\t\telements = { 100.64.20.0/24 }\n\t}\n}\n"
)


def _nft_repairer(tmp_path, fake, logs, clock):
    (tmp_path / "symroute.nft").write_text(NFT_FILE)
    return Repairer(
        str(tmp_path / "routing.json"),
        fake,
        logs.append,
        clock,
        every_s=30,
        owned_path=str(tmp_path / "owned.json"),
        lock_path=str(tmp_path / "lock"),
        nftables_file=str(tmp_path / "symroute.nft"),
        nftables_listing_file=str(tmp_path / "nftables.listing"),
    )


def test_the_periodic_reconcile_reloads_a_deleted_nft_table_and_one_changed_by_hand_and_leaves_a_good_one(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    (tmp_path / "routing.json").write_text(json.dumps(TWO_LINKS))
    repairer = _nft_repairer(tmp_path, fake, logs, clock)
    assert repairer.nftables() is True  # missing: loaded from the file, its listing saved
    assert "100.64.20.0/24" in fake.nft["inet symroute"]
    assert (tmp_path / "nftables.listing").read_text() == fake.nft["inet symroute"]
    assert logs[-1].endswith("the table was missing")
    loads = len(fake.writes())
    assert repairer.nftables() is False and len(fake.writes()) == loads  # as loaded: nothing to do
    fake.nft["inet symroute"] = fake.nft["inet symroute"].replace("100.64.20.0/24", "100.64.20.0/24, 192.0.2.0/24")
    clock.now += 30
    repairer.tick()  # the periodic reconcile: the element added by hand goes
    assert "192.0.2.0/24" not in fake.nft["inet symroute"]
    assert repairer.report()["nftables"] == {"total": 2, "last": {"reason": "the table was changed by hand"}}


def test_without_an_nft_file_the_monitor_leaves_nftables_alone(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = Repairer(
        str(tmp_path / "routing.json"), fake, logs.append, clock, nftables_file="", lock_path=str(tmp_path / "lock")
    )
    assert repairer.nftables() is False and fake.calls == []


def test_event_driven_repairs_never_postpone_the_periodic_reconcile(tmp_path):
    """Address refreshes (router advertisements, DHCP renewals) can come more often than the interval."""
    fake, logs, clock = FakeRouter(), [], Clock()
    (tmp_path / "routing.json").write_text(json.dumps(TWO_LINKS))
    repairer = _nft_repairer(tmp_path, fake, logs, clock)
    repairer.repair("start")
    for _ in range(6):  # an address event every 10 s for a minute, the table gone all along
        clock.now += 10
        repairer.repair("an address added on wana")
        repairer.tick()
    assert "inet symroute" in fake.nft and repairer.report()["nftables"]["total"] >= 1


def test_at_start_the_monitor_applies_each_interface_sysctls_then_repairs_routing_and_the_table(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    (tmp_path / "routing.json").write_text(json.dumps(TWO_LINKS))
    repairer = _nft_repairer(tmp_path, fake, logs, clock)
    repairer.start(["wana", "wanb"])
    assert _table(fake, 200) and _table(fake, 201) and "inet symroute" in fake.nft
    assert repairer.report()["last"]["reason"] == "monitor start"


def test_a_renumbering_is_followed_at_once_and_a_flood_costs_one_repair_a_second_per_interface(tmp_path):
    fake, logs, clock = FakeRouter(), [], Clock()
    repairer = _repairer(tmp_path, fake, logs, clock)
    for _ in range(2):  # a renumbering: the old address gone, then the new one there; neither held back
        repairer.request("an address changed on wana", "wana")
        assert repairer.due_in() == pytest.approx(0.05)
        clock.now += 0.05
        repairer.tick()
    assert repairer.report()["address_repairs"] == 2
    for _ in range(1000):  # then a flood on wana for 10 s
        clock.now += 0.01
        repairer.request("an address changed on wana", "wana")
        repairer.tick()
    flood = repairer.report()["address_repairs"] - 2
    assert 9 <= flood <= 3 + 10, flood  # the burst's rest, then one a second on average
    assert repairer.due_in() > 0.05  # wana is held back now
    repairer.request("an address changed on wanb", "wanb")  # another interface is not held back by wana's flood
    assert repairer.due_in() == pytest.approx(0.05)
