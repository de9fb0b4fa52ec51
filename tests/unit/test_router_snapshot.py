"""symroute_router.snapshot: one snapshot before a change, restored exactly on a failure (on the fake router)."""

import json

import pytest
from test_router_routing import STATE as ONE_LINK, TWO_LINKS as BOTH_LINKS

from router_fakes import FakeRouter
from symroute_router import nftables, routing, snapshot

BANDS = [[10900, 10999]]
STATE, TWO_LINKS = dict(ONE_LINK, monitor_bands=BANDS), dict(BOTH_LINKS, monitor_bands=BANDS)

NFT_V1 = (
    "table inet symroute\ndelete table inet symroute\ntable inet symroute {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n}\n"
)
NFT_V2 = NFT_V1.replace("set s", "set t")


@pytest.fixture
def system(tmp_path):
    """A fake router and a tmp /etc, /var/lib and /proc/sys."""
    proc = tmp_path / "proc"
    for key in ("net/ipv4/ip_forward", "net/ipv4/conf/wana/rp_filter", "net/ipv4/conf/wanb/rp_filter"):
        (proc / key).parent.mkdir(parents=True, exist_ok=True)
        (proc / key).write_text("0\n")
    return {
        "fake": FakeRouter(),
        "tmp": tmp_path,
        "proc": str(proc),
        "nft_file": str(tmp_path / "etc" / "symroute.nft"),
        "state_file": str(tmp_path / "etc" / "routing.json"),
        "owned": str(tmp_path / "lib" / "owned.json"),
    }


def _scope(system, tables=(200, 201)):
    return {
        "files": [system["nft_file"], system["state_file"], system["owned"]],
        "nft_table": "inet symroute",
        "priority_band": [10000, 10999],
        "monitor_bands": BANDS,
        "tables": list(tables),
        "sysctls": ["net.ipv4.ip_forward", "net.ipv4.conf.wana.rp_filter", "net.ipv4.conf.wanb.rp_filter"],
        "sysctl_root": system["proc"],
    }


def _converge(system, state, nft, sysctls):
    """What a run does: files, the nft table, rules and routes, sysctls."""
    from symroute_router import files, sysctl

    files.write_atomically(system["nft_file"], nft, mode=0o600)
    files.write_atomically(system["state_file"], json.dumps(state), mode=0o600)
    nftables.load(system["fake"], nft)
    routing.apply(system["fake"], state, owned_path=system["owned"])
    sysctl.apply(sysctls, system["proc"])


def _everything(system):
    tree = {str(p.relative_to(system["tmp"])): p.read_text() for p in sorted(system["tmp"].rglob("*")) if p.is_file()}
    return {"fake": system["fake"].state(), "files": tree}


def test_restore_after_a_changed_state_gives_back_exactly_the_state_before(system):
    _converge(system, STATE, NFT_V1, {"net.ipv4.ip_forward": "1", "net.ipv4.conf.wana.rp_filter": "2"})
    system["fake"].run(["ip", "-4", "-batch", "-"], stdin="rule add priority 10950 lookup 200 suppress_ifgroup 21337\n")
    before = _everything(system)
    taken = snapshot.take(system["fake"], _scope(system))
    _converge(system, TWO_LINKS, NFT_V2, {"net.ipv4.conf.wana.rp_filter": "1", "net.ipv4.conf.wanb.rp_filter": "2"})
    assert _everything(system) != before
    restored = snapshot.restore(system["fake"], taken)
    assert _everything(system) == before
    assert restored == [
        f"file {system['nft_file']}",
        f"file {system['state_file']}",
        f"file {system['owned']}",
        "nft table inet symroute",
        "2 rules, 2 routes",
        "sysctl net.ipv4.conf.wana.rp_filter=2",
        "sysctl net.ipv4.conf.wanb.rp_filter=0",
    ]
    # The monitor's rule (its sub-band) was neither recorded nor touched.
    assert [r for r in system["fake"].rules[4] if r["priority"] == 10950]
    assert snapshot.restore(system["fake"], taken) == []  # nothing differs any more


def test_restoring_a_first_run_removes_everything_symroute_made(system):
    before = _everything(system)
    taken = snapshot.take(system["fake"], _scope(system))
    assert taken["nft_listing"] is None and all(saved is None for saved in taken["files"].values())
    _converge(system, TWO_LINKS, NFT_V1, {"net.ipv4.ip_forward": "1"})
    restored = snapshot.restore(system["fake"], taken)
    assert _everything(system) == before
    assert "nft table inet symroute (deleted: it did not exist before)" in restored
    assert f"file {system['nft_file']} (removed: it did not exist before)" in restored
    assert "6 rules, 4 routes" in restored  # the run's six rules and four routes, removed again


def test_a_snapshot_is_json_and_survives_save_and_load(system):
    _converge(system, STATE, NFT_V1, {"net.ipv4.ip_forward": "1"})
    taken = snapshot.take(system["fake"], _scope(system))
    path = str(system["tmp"] / "snap" / "snapshot.json")
    assert snapshot.save(path, taken) is True
    assert snapshot.load(path) == json.loads(json.dumps(taken))
    assert snapshot.load(str(system["tmp"] / "none.json")) is None
    _converge(system, TWO_LINKS, NFT_V2, {"net.ipv4.ip_forward": "0"})
    snapshot.restore(system["fake"], snapshot.load(path))
    assert system["fake"].nft["inet symroute"] == taken["nft_listing"]


def test_a_part_that_cannot_be_restored_is_reported_after_the_others(system):
    _converge(system, TWO_LINKS, NFT_V1, {"net.ipv4.ip_forward": "1"})
    taken = snapshot.take(system["fake"], _scope(system))
    _converge(system, STATE, NFT_V2, {"net.ipv4.ip_forward": "0"})
    system["fake"].set_down("wanb")  # wanb's routes cannot come back now
    with pytest.raises(
        snapshot.RestoreError, match="rules and routes: table 201: waiting for interface wanb"
    ) as raised:
        snapshot.restore(system["fake"], taken)
    assert "nft table inet symroute" in raised.value.restored
    assert "sysctl net.ipv4.ip_forward=1" in raised.value.restored


def test_the_tables_owned_before_are_added_to_the_scope(system):
    _converge(system, TWO_LINKS, NFT_V1, {})
    taken = snapshot.take(system["fake"], dict(_scope(system, tables=[200]), owned_tables_file=system["owned"]))
    assert taken["routing"]["tables"] == ["200", "201"]
    before = system["fake"].state()
    _converge(system, STATE, NFT_V1, {})  # wan_b leaves the plan: its table is flushed
    assert system["fake"].state() != before
    snapshot.restore(system["fake"], taken)
    assert system["fake"].state() == before
