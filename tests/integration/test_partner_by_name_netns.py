"""A partner named by DNS (issue #23) with real packets: dnsmasq on the LAN answers for the partner's name, the
monitor's resolver adds the answers to the partner's sets, and the partner's traffic leaves by its pinned link
with that link's address; a changed answer moves the set, a rebinding answer (a LAN address) is refused, and a
resolver that stops answering keeps the last good answer. Namespaces inside a router container (routerlab)."""

import json
import os
import time

import pytest

import dynamiclab
from routerlab import RESOURCES, lab_partners, remove_router, start_router

NAME = os.environ.get("SYMROUTE_DNS_LAB_NAME", "symroute-test-dns")
OLD4, NEW4, OLD6 = "100.64.60.10", "100.64.60.11", "2001:db8:60::10"
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
HOSTS, PID = "/run/lan-dns-hosts", "/run/lan-dnsmasq.pid"
PARTNER = {"name": "partner-dns", "link": "wan_b", "description": "known by its name only",
           "domains": ["api.partner.example", "evil.partner.example"]}

# The partner's service behind both providers (so a wrongly routed request would be answered too, from the
# wrong client address); dnsmasq on the LAN at 203.0.113.53, answering with a TTL of 2 s (clamped to 30 s).
SETUP = f"""
set -e
for side in a b; do
  ip -n isp_$side addr add {OLD4}/32 dev lo; ip -n isp_$side addr add {NEW4}/32 dev lo
  ip -n isp_$side -6 addr add {OLD6}/128 dev lo
  (ip netns exec isp_$side setsid python3 /usr/local/bin/lab-http-server 8080 partner-dns \\
      >/var/log/partner-dns-$side.log 2>&1 &)
done
ip -n lan addr add 203.0.113.53/24 dev eth0
printf '{OLD4} api.partner.example\\n{OLD6} api.partner.example\\n203.0.113.10 evil.partner.example\\n' > {HOSTS}
ip netns exec lan dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts={HOSTS} --local-ttl=2 \\
    --listen-address=203.0.113.53 --bind-interfaces --port=53 --pid-file={PID} \\
    --log-queries --log-facility=/var/log/lan-dnsmasq.log
echo 'nameserver 203.0.113.53' > /etc/resolv.conf
"""


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("dns"))
    device.sh(f"cat > /usr/local/bin/lab-http-server <<'EOF'\n{(RESOURCES / 'lab-http-server.py').read_text()}\nEOF\n")
    device.sh(SETUP)
    yield device
    remove_router(NAME)


def _elements(router, family):
    return router.sh(f"nft list set inet symroute wan_b_failover_v{family}").stdout


def _resolver(router):
    try:
        return {(n["name"], n["family"]): n for n in json.loads(router.sh("cat /run/symroute/resolver.json").stdout)[
            "names"]}
    except (AssertionError, ValueError):
        return {}


def _wait(condition, seconds, what, router):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.2)
    shown = router.sh("cat /run/symroute/resolver.json; nft list table inet symroute; cat /var/log/lan-dnsmasq.log",
                      check=False).stdout
    raise AssertionError(f"{what} within {seconds} s\n{shown}")


def test_a_partner_named_by_dns_is_pinned_to_its_link(router):
    run = router.playbook(inventory_vars={"symroute_partners": lab_partners() + [PARTNER]})
    assert run.returncode == 0, run.stdout[-4000:]
    _wait(lambda: f" {OLD4} timeout" in _elements(router, 4) and f" {OLD6} timeout" in _elements(router, 6), 20,
          "the resolver added the partner's answers", router)
    assert dynamiclab.ask(router, OLD4) == "198.51.100.6"  # link B, with link B's address
    assert dynamiclab.ask(router, OLD6) == "2001:db8:b::2"
    assert dynamiclab.ask(router, NEW4) == "198.51.100.2"  # not (yet) an answer: main table


def test_a_rebinding_answer_is_refused_and_reported(router):
    _wait(lambda: _resolver(router).get(("evil.partner.example", 4), {}).get("refused"), 10, "evil refused", router)
    evil = _resolver(router)[("evil.partner.example", 4)]
    assert evil["addresses"] == [] and "203.0.113.10" in evil["refused"][0]
    assert "203.0.113.10" not in _elements(router, 4)
    assert 'symroute_resolver_refused{router="' in router.sh(f"cat {TEXTFILE_DIR}/symroute_resolver.prom").stdout
    shown = router.sh("/usr/local/sbin/symroute-status", check=False)  # what the operator sees on the router
    assert shown.returncode == 1, shown.stdout  # the refused answer needs attention
    evil_row = next(line for line in shown.stdout.splitlines() if line.split()[:2] == ["evil.partner.example", "IPv4"])
    assert "no usable address; refused: 203.0.113.10" in evil_row, shown.stdout
    api_row = next(line for line in shown.stdout.splitlines() if line.split()[:2] == ["api.partner.example", "IPv4"])
    assert OLD4 in api_row and api_row.rstrip().endswith("ok"), shown.stdout


def test_a_changed_answer_moves_the_set_and_the_old_address_stays_for_the_grace(router):
    router.sh(f"sed -i 's/^{OLD4} /{NEW4} /' {HOSTS}; kill -HUP $(cat {PID})")
    changed = time.monotonic()
    # The TTL of 2 s is clamped to 30 s: looked up again within 0.8 * 30 s, plus a round of 2 s.
    moved = _wait(lambda: f" {NEW4} timeout" in _elements(router, 4), 35, "the new answer in the set", router)
    assert moved - changed <= 30 + 3
    assert dynamiclab.ask(router, NEW4) == "198.51.100.6"
    assert f" {OLD4} timeout" in _elements(router, 4)  # until its TTL (30 s) and the grace (60 s) pass


def test_a_resolver_that_stops_answering_keeps_the_last_good_answer(router):
    router.sh(f"kill $(cat {PID})")
    _wait(lambda: _resolver(router).get(("api.partner.example", 4), {}).get("outcome", "").startswith("failed"),
          40, "a failed lookup", router)
    state = _resolver(router)[("api.partner.example", 4)]
    assert state["addresses"] == [NEW4] and "last good answer kept" in state["outcome"]
    assert state["age_seconds"] > 0
    shown = router.sh("/usr/local/sbin/symroute-status --format json", check=False)
    names = {(n["name"], n["family"]): n for n in json.loads(shown.stdout)["names"]}
    assert names[("api.partner.example", 4)]["addresses"] == [NEW4] and names[("api.partner.example", 4)]["attention"]
    assert f" {NEW4} timeout" in _elements(router, 4)
    assert dynamiclab.ask(router, NEW4) == "198.51.100.6"
