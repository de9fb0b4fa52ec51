"""The boot unit and the monitor's unit are sandboxed (issue #24): `systemd-analyze security --offline=true`
scores each rendered unit at 3.0 or less, for every router of both inventories, and the settings each unit
needs are there. systemd-analyze is required: without it this test fails, it is not skipped."""

import re
import shutil
import subprocess

import pytest

from paths import REPOSITORY
from rendering import render_all
from symroute.ansible_inventory import load_inventory
from symroute.pipeline import plan_routers

TARGET = 3.0
UNITS = {
    "symroute-monitor.service": "symroute-monitor.service.j2",
    "symroute-routing.service": "symroute-routing.service.j2",
}
# What each unit may keep of root's capabilities.
CAPABILITIES = {"symroute-monitor.service": "CAP_NET_ADMIN CAP_NET_RAW", "symroute-routing.service": "CAP_NET_ADMIN"}
REQUIRED = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "RestrictAddressFamilies=AF_NETLINK AF_INET AF_INET6 AF_UNIX",
    "SystemCallFilter=@system-service",
    "ProtectKernelTunables=yes",
    "RestrictNamespaces=yes",
    "UMask=0077",
)


def _rendered():
    for inventory in ("lab", "production"):
        plans = plan_routers(load_inventory(REPOSITORY / "inventories" / inventory).routers)
        for router, plan in sorted(plans.items()):
            files = render_all(plan)
            yield inventory, router, {unit: files[template] for unit, template in UNITS.items()}


RENDERED = list(_rendered())


def _exposure(path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: install systemd (252 or later) to run this test"
    done = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found, f"systemd-analyze gave no exposure for {path}: {done.stdout[-500:]} {done.stderr[-500:]}"
    return float(found.group(1)), done.stdout


@pytest.mark.parametrize("inventory,router,units", RENDERED, ids=[f"{i}-{r}" for i, r, _ in RENDERED])
def test_each_unit_is_exposed_at_most_3_0(tmp_path, inventory, router, units):
    for unit, text in units.items():
        path = tmp_path / unit
        path.write_text(text)
        exposure, report = _exposure(path)
        assert exposure <= TARGET, f"{inventory}/{router} {unit}: exposure {exposure} > {TARGET}\n{report}"


def test_each_unit_keeps_only_the_capabilities_it_needs_and_the_hardening_set():
    _, _, units = RENDERED[0]
    for unit, text in units.items():
        settings = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert f"CapabilityBoundingSet={CAPABILITIES[unit]}" in settings, unit
        for required in REQUIRED:
            assert required in settings, f"{unit} lacks {required}"
        assert any(line.startswith(("TimeoutStopSec=", "TimeoutStartSec=")) for line in settings)
        assert any(line.startswith("MemoryMax=") for line in settings) and any(
            line.startswith("TasksMax=") for line in settings
        )
    assert "TimeoutStartSec=90" in units["symroute-routing.service"].splitlines()
    monitor = units["symroute-monitor.service"].splitlines()
    # It writes only where it must: its runtime and state directories, its files' directories, net sysctls.
    assert [line for line in monitor if line.startswith("ReadWritePaths=")] == [
        'ReadWritePaths="-/run/symroute"',
        'ReadWritePaths="-/var/lib/prometheus/node-exporter"',
        'ReadWritePaths="-/var/lib/symroute"',
        "ReadWritePaths=/proc/sys/net",
    ]


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    _, _, units = RENDERED[0]
    paths = []
    for unit, text in units.items():
        (tmp_path / unit).write_text(text)
        paths.append(str(tmp_path / unit))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and "Unknown" not in done.stderr, done.stderr
