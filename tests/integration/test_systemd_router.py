"""symroute under real systemd (PID 1 in a container, tests/systemdlab.py): its units after a converge,
across reboots (`podman restart`: a new network namespace, the links rebuilt at boot), a killed monitor,
an interface bounce, a link absent at boot, hand-made damage, and systemd-networkd managing the WAN links.
One container for the module; the tests run in this order."""

import difflib
import json
import re
import time

import pytest

from systemdlab import LAB_DIR, MONITOR_STATE_FILE, SYMROUTE_UNITS, remove_systemd_router, start_systemd_router

NAME = "symroute-sysd-router"
SYMROUTE_STATE = (
    "ip rule; echo; ip -6 rule; echo;"
    " for t in 200 201 202; do echo table $t; ip route show table $t 2>/dev/null;"
    " ip -6 route show table $t 2>/dev/null; done; echo; nft list table inet symroute"
)
# symroute's sysctl.d keys, read back from the kernel (systemd-sysctl applies them at boot).
SYSCTLS = "sed -n 's/^\\([a-z][^ =]*\\) *=.*/\\1/p' /etc/sysctl.d/90-symroute.conf | xargs sysctl"
TABLE_200 = "ip route show table 200"


def _recap(result):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert match, result.stdout[-3000:] + result.stderr
    return {"changed": int(match[2]), "failed": int(match[4])}


def _in_service(state):
    return all(link["up"] and not link["gated"] and link["interface_present"] for link in state["links"].values())


def _monitor_view(state):
    """What the monitor has decided (no timings, round trips or timestamps)."""
    return {
        "links": {
            name: {key: link[key] for key in ("up", "gated", "decided_gated", "carrier", "interface_present")}
            for name, link in state["links"].items()
        },
        "general_rules": state["general_rules"],
        "kernel_holds_decision": state["kernel_holds_decision"],
    }


def _snapshot(router, sysctls=True):
    """symroute's live state as text: rules, tables 200-202, its nft table (and its sysctls)."""
    return router.sh(SYMROUTE_STATE + (f"; echo; {SYSCTLS}" if sysctls else "")).stdout


def _routing_rules(text):
    """The rules of symroute's boot unit (priorities below the monitor's band) in ``ip rule`` text."""
    return [
        line
        for line in text.splitlines()
        if re.match(r"\d+:\t", line) and not 10900 <= int(line.split(":")[0]) <= 10999
    ]


def _booted(router):
    """The boot is complete and healthy (no unit failed), with symroute's three units active."""
    status = router.wait_until_booted()
    failed = router.systemctl("--failed", "--plain", "--no-legend").stdout
    assert status == "running", f"is-system-running: {status}; failed units:\n{failed}\n{router.journal()}"
    active = router.systemctl("is-active", *SYMROUTE_UNITS).stdout.split()
    assert active == ["active"] * 3, f"{dict(zip(SYMROUTE_UNITS, active))}\n{router.journal()}"


def _after_inside(router, action, condition, limit_ms=3000):
    """Milliseconds from the end of ``action`` until ``condition`` holds, timed inside the router (no
    podman exec latency in the measure); limit_ms + 1 when it never held."""
    out = router.sh(
        f"{action} >/dev/null; t=$(date +%s%N); while ! {{ {condition}; }}; do"
        f" [ $(( ($(date +%s%N) - t) / 1000000 )) -le {limit_ms} ] || {{ echo {limit_ms + 1}; exit 0; }};"
        " sleep 0.01; done; echo $(( ($(date +%s%N) - t) / 1000000 ))"
    ).stdout.split()
    return int(out[-1])


def _until(seconds, probe, what):
    """Poll ``probe`` until it returns a true value; that value, and the seconds it took."""
    started = time.monotonic()
    while True:
        value = probe()
        elapsed = time.monotonic() - started
        if value:
            return value, elapsed
        assert elapsed < seconds, f"{what} not within {seconds} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_systemd_router(NAME, tmp_path_factory.mktemp("systemd"))
    try:
        converged = device.playbook()
        assert converged.returncode == 0, converged.stdout[-4000:] + device.journal()
        device.converged = converged
        yield device
    finally:
        remove_systemd_router(NAME)


@pytest.fixture(scope="module")
def baseline(router):
    """symroute's state and the monitor's decisions on the converged router, all links in service."""
    state = router.wait_for_monitor(_in_service, 20, "all links in service after the converge")
    return {"symroute": _snapshot(router), "monitor": _monitor_view(state)}


def test_converge_runs_the_monitor_as_a_service_and_enables_the_boot_units_and_a_second_converge_changes_nothing(
    router, baseline
):
    assert "started symroute-monitor.service" in router.converged.stdout
    enabled = router.systemctl("is-enabled", *SYMROUTE_UNITS).stdout.split()
    assert enabled == ["enabled"] * 3, dict(zip(SYMROUTE_UNITS, enabled))
    assert router.systemctl("is-active", "symroute-monitor.service").stdout.strip() == "active"
    pid = router.main_pid("symroute-monitor.service")
    assert "symroute_router.monitor" in router.sh(f"tr '\\0' ' ' < /proc/{pid}/cmdline").stdout
    assert router.sh("test -e /run/symroute/monitor.pid", check=False).returncode != 0  # not the background mode
    assert router.sh("test -s " + MONITOR_STATE_FILE).returncode == 0
    again = router.playbook()
    assert again.returncode == 0 and _recap(again)["changed"] == 0, again.stdout[-3000:]
    assert router.main_pid("symroute-monitor.service") == pid  # an unchanged converge leaves it running


def test_both_units_are_sandboxed_at_exposure_3_0_or_less_and_the_sandbox_is_in_force(router):
    """Measured by systemd itself in the lab (the loaded units), and read back from the running monitor."""
    for unit in ("symroute-monitor.service", "symroute-routing.service"):
        report = router.sh(f"systemd-analyze security --no-pager {unit}").stdout
        exposure = float(re.search(r"Overall exposure level for \S+: (\d+\.\d+)", report)[1])
        assert exposure <= 3.0, report
    status = router.sh(f"cat /proc/{router.main_pid('symroute-monitor.service')}/status").stdout
    assert re.search(r"^CapBnd:\s+0000000000003000$", status, re.M), status  # CAP_NET_ADMIN, CAP_NET_RAW only
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status


def test_a_change_never_confirmed_is_restored_by_the_routers_timer_within_timeout_plus_5_s_and_reported(router):
    """The controller dies between the change and its confirmation (here: the confirmation task gets no
    result to confirm, so it fails before reaching the router). The router's transient timer restores the
    run's snapshot by itself; the next run reports it."""
    before = router.sh("cat /etc/symroute/monitor.json").stdout
    unconfirmed = router.playbook(
        inventory_vars={"symroute_monitor_repair_interval_s": 31},
        extra_vars={"symroute_confirm_timeout_s": 30, "symroute_confirm_result": {}},
    )
    assert unconfirmed.returncode != 0 and "Confirm the change" in unconfirmed.stdout, unconfirmed.stdout[-3000:]
    record = json.loads(router.sh("cat /var/lib/symroute/confirm.json").stdout)
    assert record["state"] == "armed" and record["mechanism"] == "systemd", record
    assert router.sh("cat /etc/symroute/monitor.json").stdout != before  # the change is live
    monitor_pid = router.main_pid("symroute-monitor.service")  # restarted by the converge for it
    assert f"{record['unit']}.timer" in router.systemctl("list-timers", "--all", "--no-legend").stdout

    def restored():
        current = json.loads(router.sh("cat /var/lib/symroute/confirm.json").stdout)
        return current if current["state"] != "armed" else None

    record, _ = _until(record["deadline"] - time.time() + 5 + 5, restored, "the dead-man's restore")
    assert record["state"] == "expired", record
    assert record["expired_at"] - record["deadline"] <= 5.0, record  # deadline = end of the converge + 30 s
    assert router.sh("cat /etc/symroute/monitor.json").stdout == before
    journal = router.sh(f"journalctl --no-pager -u {record['unit']}.service").stdout
    assert f"run {record['run_id']} was not confirmed" in journal, journal
    # The monitor read the unconfirmed configuration at its start: the dead-man restarted it after the restore.
    assert "restarted symroute-monitor.service (it read /etc/symroute/monitor.json" in " ".join(record["restored"]), (
        record
    )
    assert router.main_pid("symroute-monitor.service") != monitor_pid
    router.wait_for_monitor(_in_service, 20, "all links in service after the restore")
    following = router.playbook()
    assert following.returncode == 0, following.stdout[-3000:]
    assert f"previous converge was not confirmed: run {record['run_id']}" in following.stdout + following.stderr


def test_a_reboot_brings_back_rules_link_tables_nft_table_sysctls_and_the_monitors_decisions(router, baseline):
    router.reboot()
    _booted(router)
    state = router.wait_for_monitor(_in_service, 20, "all links in service after the reboot")
    assert _snapshot(router) == baseline["symroute"]
    assert _monitor_view(state) == baseline["monitor"]
    boot = router.sh("journalctl -b -o cat -u symroute-routing.service").stdout
    assert "symroute-routing: table 200 (wana): installed" in boot, boot[-2000:]  # the boot unit did it


def test_a_monitor_killed_with_sigkill_is_restarted_by_systemd_and_takes_the_links_back_into_service(router):
    old = router.main_pid("symroute-monitor.service")
    killed_at = float(router.sh(f"date +%s.%N; kill -9 {old}").stdout.split()[0])
    new, elapsed = _until(
        5,
        lambda: (pid := router.main_pid("symroute-monitor.service")) not in (0, old) and pid,
        "symroute-monitor.service restarted with a new MainPID",
    )
    assert router.systemctl("is-active", "symroute-monitor.service").stdout.strip() == "active"
    assert "symroute_router.monitor" in router.sh(f"tr '\\0' ' ' < /proc/{new}/cmdline").stdout
    router.wait_for_monitor(
        lambda s: s["updated"] > killed_at and _in_service(s),
        15,
        "the restarted monitor's state with all links in service",
    )
    restarts = int(router.systemctl("show", "-p", "NRestarts", "--value", "symroute-monitor.service").stdout)
    assert restarts >= 1, f"restarted after {elapsed:.1f} s"


def test_an_admin_down_up_of_wana_under_traffic_gets_table_200_back_within_1_s_and_partner_traffic_out_by_wana(router):
    router.wait_for_monitor(_in_service, 20, "all links in service")
    before = router.sh(TABLE_200).stdout
    assert before.startswith("default via 198.51.100.1 dev wana")
    up_after = next(
        link["health"]["up_after"]
        for link in json.loads(router.sh("cat /etc/symroute/monitor.json").stdout)["monitor"]["links"]
        if link["name"] == "wan_a"
    )
    transitions = router.monitor_state()["links"]["wan_a"]["transitions"]
    # The lab's traffic: a bounded ping from the LAN to the partner API across the bounce.
    traffic = router.sh(
        "ip netns exec lan ping -q -i 0.1 -c 200 -w 30 100.64.20.10 > /tmp/lab-traffic.out 2>&1 & echo $!"
    ).stdout.strip()
    try:
        # Timed inside the router: from the `ip link set wana up` to table 200's default route (at most 2 s).
        bounce = router.sh(
            "sleep 0.5; ip link set wana down; sleep 1; ip link set wana up; up=$(date +%s%N);"
            " while ! ip route show table 200 | grep -q '^default via 198.51.100.1 dev wana'; do"
            "   [ $(( $(date +%s%N) - up )) -lt 2000000000 ] || { echo never; exit 0; }; sleep 0.01; done;"
            " echo $(( ($(date +%s%N) - up) / 1000000 ))"
        ).stdout.strip()
        # The kernel dropped wana's IPv6 address with the link; a network manager puts it back, as here.
        router.sh("ip -6 addr replace 2001:db8:a::2/64 dev wana nodad")
        assert bounce != "never" and int(bounce) <= 1000, f"table 200's default route back after {bounce} ms"
        state = router.wait_for_monitor(
            lambda s: s["links"]["wan_a"]["transitions"] >= transitions + 2 and _in_service(s),
            15,
            "wan_a out of service and back",
        )
        assert state["links"]["wan_a"]["reason"] == f"{up_after} good rounds in a row", state["links"]["wan_a"]
        # Repaired at carrier up (IPv4), then when the IPv6 address came back (its routes use it).
        assert state["repairs"]["last"]["reason"] in (
            "carrier up on wana",
            "an address or default route changed on wana",
        ), state["repairs"]
    finally:
        router.sh(f"kill -INT {traffic} 2>/dev/null; sleep 0.2", check=False)
    # A new partner flow from the LAN, seen on link A's far end with wan_a's address as its source.
    capture = router.sh(
        "ip netns exec isp_a timeout 8 tcpdump -l -n -i eth0 -c 3"
        " 'icmp[icmptype] == icmp-echo and src 198.51.100.2 and dst 100.64.20.10' > /tmp/isp_a.out 2>&1 &"
        " sleep 1; ip netns exec lan ping -c 3 -i 0.2 -W 1 100.64.20.10; wait",
        check=False,
    ).stdout
    seen = router.sh("cat /tmp/isp_a.out").stdout
    assert "3 packets transmitted, 3 received" in capture, capture
    assert seen.count("198.51.100.2 > 100.64.20.10: ICMP echo request") == 3, seen


def test_a_reboot_with_wanc_absent_applies_links_a_and_b_at_boot_and_wanc_gets_its_table_and_sysctls_when_it_appears(
    router, baseline
):
    router.leave_wanc_out_at_boot()
    try:
        router.reboot()
        _booted(router)  # symroute-routing.service active (a link waiting is not a failure)
        assert router.sh("ip link show wanc", check=False).returncode != 0
        boot = router.sh("journalctl -b -o cat -u symroute-routing.service").stdout
        for table in (
            "table 200 (wana): installed",
            "table 201 (wanb): installed",
            "table 202 (wanc): waiting for interface wanc",
        ):
            assert f"symroute-routing: {table}" in boot, boot[-2000:]
        # Every rule of the boot unit, wan_c's included (a rule needs no interface); the monitor adds its
        # general rules (its band, 10900-10999) for wan_c out of service.
        assert _routing_rules(router.sh("ip rule; echo; ip -6 rule").stdout) == _routing_rules(baseline["symroute"])
        for table in (200, 201):
            assert router.sh(f"ip route show table {table}").stdout in baseline["symroute"]
            assert router.sh(f"ip route show table {table}").stdout.startswith("default via")
        assert router.sh("ip route show table 202 2>/dev/null", check=False).stdout == ""
        took = _after_inside(
            router,
            f"{LAB_DIR}/symroute-lab-topology.sh wanc",
            "ip route show table 202 | grep -q '^default via 198.51.100.9 dev wanc'",
        )
        assert took <= 1000, f"table 202's default route {took} ms after wanc appeared"
        assert router.sh("sysctl -n net.ipv4.conf.wanc.rp_filter").stdout.strip() == "2"
        router.wait_for_monitor(_in_service, 15, "wan_c in service")
        assert "applied the sysctls of wanc" in router.journal("symroute-monitor.service")
    finally:
        router.leave_wanc_out_at_boot(False)
        if router.sh("ip link show wanc", check=False).returncode != 0:
            router.create_wanc()


def test_an_interface_deleted_and_re_created_gets_its_sysctls_and_table_back_within_1_s_and_carries_traffic(router):
    """PPPoE-like: the device goes away (its routes and sysctls with it) and comes back as a new device."""
    router.wait_for_monitor(_in_service, 20, "all links in service")
    router.sh("ip netns del isp_c; ip link del wanc 2>/dev/null || true")  # the veth pair goes with its namespace
    router.wait_for_monitor(lambda s: not s["links"]["wan_c"]["interface_present"], 10, "wan_c gone")
    took = _after_inside(
        router,
        f"{LAB_DIR}/symroute-lab-topology.sh wanc",
        "ip route show table 202 | grep -q '^default via 198.51.100.9 dev wanc'",
    )
    assert took <= 1000, f"table 202's default route {took} ms after wanc was re-created"
    assert router.sh("sysctl -n net.ipv4.conf.wanc.rp_filter").stdout.strip() == "2"
    router.wait_for_monitor(_in_service, 15, "wan_c back in service")
    # A packet by link C with C's address: the router's own probe source, answered through the new device.
    assert "1 received" in router.sh("ping -c 1 -W 1 -I 198.51.100.10 100.64.3.2").stdout


def test_a_rule_and_a_route_deleted_by_hand_are_back_within_the_repair_interval(router):
    router.wait_for_monitor(_in_service, 20, "all links in service")
    interval = json.loads(router.sh("cat /etc/symroute/monitor.json").stdout)["settings"]["repair_interval_s"]
    rule = "10200:\tfrom all fwmark 0x100/0x7f00 lookup symroute_wan_a suppress_ifgroup 21337"
    assert rule in router.sh("ip rule").stdout
    router.sh("ip rule del priority 10200 fwmark 0x100/0x7f00 lookup 200; ip route del default table 201")
    assert rule not in router.sh("ip rule").stdout
    _until(
        interval + 1,
        lambda: (
            rule in router.sh("ip rule").stdout
            and router.sh("ip route show table 201").stdout.startswith("default via 198.51.100.5 dev wanb")
        ),
        f"the rule and the route (the monitor repairs every {interval} s)",
    )
    router.wait_for_monitor(
        lambda s: s["repairs"]["last"]["reason"] == "periodic reconcile", 3, "the repair in the state file"
    )


# systemd-networkd giving wana and wanb their addresses and routes (the lab's values, same metrics).
NETWORK = """[Match]
Name={dev}

[Network]
IPv6AcceptRA=no

[Address]
Address={v4}

[Address]
Address={v6}
DuplicateAddressDetection=none

[Route]
Gateway={gw4}
Metric={metric}

[Route]
Gateway={gw6}
Metric={metric}
"""
NETWORKS = {
    f"10-{dev}.network": NETWORK.format(dev=dev, v4=v4, v6=v6, gw4=gw4, gw6=gw6, metric=metric)
    for dev, v4, v6, gw4, gw6, metric in (
        ("wana", "198.51.100.2/30", "2001:db8:a::2/64", "198.51.100.1", "2001:db8:a::1", 10),
        ("wanb", "198.51.100.6/30", "2001:db8:b::2/64", "198.51.100.5", "2001:db8:b::1", 20),
    )
}
# What the symroute_routing role installs: networkd leaves rules and routes it did not make alone.
NETWORKD_DROPIN = "/etc/systemd/networkd.conf.d/symroute.conf"


@pytest.fixture(scope="module")
def networkd(router, baseline):
    """The router rebooted with systemd-networkd managing wana and wanb (and the drop-in the converge
    installed); back to the lab's script (another reboot) afterwards."""
    assert (
        router.sh("test -x /lib/systemd/systemd-networkd && test -x /usr/bin/dbus-daemon", check=False).returncode == 0
    ), "the lab image has systemd-networkd and D-Bus"
    text = router.sh(f"cat {NETWORKD_DROPIN}").stdout
    assert "ManageForeignRoutingPolicyRules=no" in text and "ManageForeignRoutes=no" in text, text
    router.use_networkd(NETWORKS)
    try:
        router.reboot()
        _booted(router)
        yield router
    finally:
        router.use_networkd(None)
        router.reboot()


def _networkd_setup(router):
    return {
        line.split()[1]: line.split()[4]
        for line in router.sh("networkctl list --no-pager --no-legend").stdout.splitlines()
        if len(line.split()) >= 5
    }


def _watch(router, command, reference, seconds=3.0):
    """Run ``command`` and sample symroute's rules and tables for ``seconds``: every period they differ from
    ``reference``, as (start, end or None, first differing sample)."""
    started = time.monotonic()
    router.sh(command)
    periods = []
    while time.monotonic() - started < seconds or (
        periods and periods[-1][1] is None and time.monotonic() - started < seconds + 10
    ):
        now = router.sh(SYMROUTE_STATE).stdout
        elapsed = time.monotonic() - started
        if now != reference and (not periods or periods[-1][1] is not None):
            periods.append([elapsed, None, now])
        elif now == reference and periods and periods[-1][1] is None:
            periods[-1][1] = elapsed
        time.sleep(0.05)
    return periods


def _longer_than_1_s(periods):
    return [(start, end, sample) for start, end, sample in periods if end is None or end - start > 1.0]


def _differences(periods, reference, router):
    """The periods (seconds after the command), the first one's difference, and the monitor's last words."""
    spans = [(round(start, 2), end and round(end, 2)) for start, end, _ in periods]
    diff = "".join(difflib.unified_diff(reference.splitlines(True), periods[0][2].splitlines(True), n=0))
    log = router.sh("journalctl -b -o cat -n 4 -u symroute-monitor.service").stdout
    return f"differed from the state before during {spans} s:\n{diff}\nmonitor:\n{log}"


def test_networkd_manages_wana_and_wanb_and_its_reload_and_restart_leave_symroute_intact_or_repaired_within_1_s(
    networkd, baseline
):
    router = networkd
    # Nothing of symroute's waits for network-online.target: the boot completes before networkd is done.
    setup, _ = _until(
        30,
        lambda: (
            (found := _networkd_setup(router)).get("wana") == "configured"
            and found.get("wanb") == "configured"
            and found
        ),
        "networkd configured wana and wanb",
    )
    router.wait_for_monitor(_in_service, 20, "all links in service after the boot with networkd")
    reference = _snapshot(router, sysctls=False)
    assert baseline["symroute"].startswith(reference)  # as converged without networkd
    for command in ("networkctl reload", "systemctl restart systemd-networkd.service"):
        periods = _watch(router, command, reference)
        if _longer_than_1_s(periods):
            pytest.fail(f"{command}: {_differences(periods, reference, router)}")
    assert _networkd_setup(router) == setup
    assert router.wait_for_monitor(_in_service, 10, "all links in service")


def test_networkd_reconfiguring_wana_after_an_edit_leaves_symroutes_rules_and_gets_table_200_back_within_1_s(
    networkd, baseline
):
    """An edited .network file and `networkctl reload`: networkd reconfigures wana, removing and re-adding
    its addresses (the kernel deletes the routes through them)."""
    router = networkd
    router.wait_for_monitor(_in_service, 20, "all links in service")
    reference = _snapshot(router, sysctls=False)
    rules = reference.split("\ntable 200")[0]
    edit = "printf '\\n[Link]\\nMTUBytes=1500\\n' >> /etc/systemd/network/10-wana.network; networkctl reload"
    try:
        periods = _watch(router, edit, reference)
    finally:
        router.sh("sed -i '/^\\[Link\\]$/,$d' /etc/systemd/network/10-wana.network; networkctl reload")
        _until(15, lambda: _snapshot(router, sysctls=False) == reference, "symroute's state back after the revert")
    if not all(sample.startswith(rules) for _, _, sample in periods):
        pytest.fail(f"networkd touched symroute's rules: {_differences(periods, reference, router)}")
    if _longer_than_1_s(periods):
        pytest.fail(_differences(periods, reference, router))
