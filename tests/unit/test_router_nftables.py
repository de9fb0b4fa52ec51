"""symroute_router.nftables: reading, checking and loading the table, statement diffs, drift, the include line."""

import os
import stat

import pytest

from router_fakes import FakeRouter
from symroute_router import nftables, nftparse

FILE = """#!/usr/sbin/nft -f
# Managed by symroute
table inet symroute
delete table inet symroute
table inet symroute {
\tset wan_a_failover_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = {
\t\t\t100.64.20.0/24,
\t\t\t100.64.22.0/24,
\t\t}
\t}

\tchain classify {
\t\tiifname vmap {
\t\t\t"wana" : jump mark_0x100,
\t\t}
\t\tip daddr @wan_a_failover_v4 jump mark_0x100
\t}

\tchain prerouting {
\t\ttype filter hook prerouting priority mangle; policy accept;
\t\tct state new jump classify
\t}
}
"""
# The same statements as nft lists them: elements on one line, other indentation, no trailing commas.
REFORMATTED = """table inet symroute
delete table inet symroute
table inet symroute {
  set wan_a_failover_v4 {
    type ipv4_addr
    flags interval
    elements = { 100.64.20.0/24, 100.64.22.0/24 }
  }
  chain classify {
    iifname vmap { "wana" : jump mark_0x100 }
    ip daddr @wan_a_failover_v4 jump mark_0x100   # a comment
  }
  chain prerouting {
    type filter hook prerouting priority mangle
    policy accept
    ct state new jump classify
  }
}
"""


def test_reformatting_and_comments_are_no_change():
    assert nftables.diff(FILE, REFORMATTED) == {"added": [], "removed": []}


def test_a_set_element_is_one_line_of_the_diff():
    after = FILE.replace("\t\t\t100.64.22.0/24,\n", "\t\t\t100.64.23.0/24,\n")
    assert nftables.diff(FILE, after) == {
        "added": ["table inet symroute > set wan_a_failover_v4: elements = { 100.64.23.0/24 }"],
        "removed": ["table inet symroute > set wan_a_failover_v4: elements = { 100.64.22.0/24 }"],
    }


def test_rules_are_named_by_their_chain_and_order_matters():
    after = FILE.replace("\t\tct state new jump classify\n", "\t\tct state new jump classify\n\t\taccept\n")
    assert nftables.diff(FILE, after) == {"added": ["table inet symroute > chain prerouting: accept"], "removed": []}


def test_a_first_run_adds_everything():
    changes = nftables.diff(None, FILE)
    assert changes["removed"] == [] and changes["added"][:3] == [
        "table inet symroute",
        "delete table inet symroute",
        "table inet symroute {",
    ]
    assert 'table inet symroute > chain classify: iifname vmap { "wana" : jump mark_0x100 }' in changes["added"]


def test_an_unparsable_installed_file_is_still_diffed_line_by_line():
    changes = nftables.diff("table inet symroute {\n\tchain old {\n", FILE)
    assert changes["removed"] == ["chain old {"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("table inet x {", "not closed"),
        ("}", "without '{'"),
        ('chain "x {', "unterminated string"),
        ("a { b", "without '}'"),
    ],
)
def test_unbalanced_text_is_a_syntax_error(text, message):
    with pytest.raises(nftparse.NftSyntaxError, match=message):
        nftparse.entries(text)


def test_quoted_braces_and_hashes_are_text():
    entries = nftparse.entries('table inet t {\n\tchain c {\n\t\tiifname "a#{b}" accept\n\t}\n}\n')
    assert ("table inet t", "chain c") in [path for path, _, _ in entries]
    assert (("table inet t", "chain c"), 'iifname "a#{b}" accept', False) in entries


def test_drift_is_any_change_of_the_live_listing():
    assert not nftables.drifted(REFORMATTED, REFORMATTED)
    assert not nftables.drifted(REFORMATTED, REFORMATTED.replace("  ", "\t"))  # layout only
    assert nftables.drifted(REFORMATTED.replace("100.64.22.0/24", "100.64.99.0/24"), REFORMATTED)
    assert nftables.drifted(None, REFORMATTED)  # the table was deleted
    assert nftables.drifted(REFORMATTED, None)  # never loaded by symroute


def test_a_counter_s_value_is_traffic_not_drift():
    """An HA pair's ha_unsynced chain counts its drops: the count changes, the table does not."""
    chain = (
        "table inet symroute {{\n\tchain ha_unsynced {{\n\t\ttcp dport 1 counter packets {} bytes {} drop\n\t}}\n}}\n"
    )
    assert not nftables.drifted(chain.format(3, 120), chain.format(0, 0))
    assert nftables.drifted(chain.format(3, 120).replace("drop", "accept"), chain.format(0, 0))


def test_read_table_is_none_when_the_table_does_not_exist():
    fake = FakeRouter()
    assert nftables.read_table(fake) is None
    fake.nft["inet symroute"] = "table inet symroute {\n}\n"
    assert nftables.read_table(fake) == "table inet symroute {\n}\n"
    assert fake.calls[-1][0] == ["nft", "list", "table", "inet", "symroute"]


def test_other_nft_errors_are_raised_with_nfts_message():
    class Denied(FakeRouter):
        def run(self, argv, stdin=None):
            from symroute_router.command import Result

            return Result(1, "", "Error: Could not process rule: Operation not permitted\n")

    with pytest.raises(nftables.NftError, match="Operation not permitted"):
        nftables.read_table(Denied())


def test_check_and_load_send_the_content_on_stdin():
    fake = FakeRouter()
    nftables.check(fake, FILE)
    assert fake.calls[-1] == (["nft", "-c", "-f", "-"], FILE) and fake.nft == {}
    with pytest.raises(nftables.NftError, match="syntax error"):
        nftables.check(fake, FILE + "syntax error\n")
    nftables.load(fake, FILE)
    assert fake.calls[-1] == (["nft", "-f", "-"], FILE) and "inet symroute" in fake.nft


def test_delete_table_says_whether_there_was_one():
    fake = FakeRouter()
    fake.nft["inet symroute"] = "table inet symroute {\n}\n"
    assert nftables.delete_table(fake) is True
    assert nftables.delete_table(fake) is False


def test_reload_listing_is_one_transaction():
    assert nftables.reload_listing("inet symroute", "table inet symroute {\n}\n") == (
        "table inet symroute\ndelete table inet symroute\ntable inet symroute {\n}\n"
    )


LINE = 'include "/etc/symroute/symroute.nft"'


def test_ensure_include_creates_the_system_file(tmp_path):
    path = tmp_path / "etc" / "nftables.conf"
    assert nftables.ensure_include(str(path), LINE) is True
    assert path.read_text() == f"#!/usr/sbin/nft -f\n{LINE}\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
    assert nftables.ensure_include(str(path), LINE) is False


def test_ensure_include_appends_and_keeps_the_rest(tmp_path):
    path = tmp_path / "nftables.conf"
    path.write_text("#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n}")  # no final newline
    os.chmod(path, 0o700)
    assert nftables.ensure_include(str(path), LINE) is True
    assert path.read_text() == f"#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {{\n}}\n{LINE}\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert nftables.remove_include(str(path), LINE) is True
    assert path.read_text() == "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n}\n"
    assert nftables.remove_include(str(path), LINE) is False
    assert nftables.remove_include(str(tmp_path / "absent.conf"), LINE) is False


def test_include_line_quotes_an_absolute_path():
    assert nftables.include_line("/etc/symroute/symroute.nft") == LINE
    with pytest.raises(ValueError):
        nftables.include_line('/etc/x".nft')
