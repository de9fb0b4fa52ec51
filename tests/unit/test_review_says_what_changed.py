"""The review names each changed field, from and to; a change that changes no plan says so."""

import subprocess

import pytest

from paths import REPOSITORY
from symroute.review import partner_changes
from symroute.review_markdown import markdown

SYMROUTE = [str(REPOSITORY / "bin" / "symroute")]


def _plan(**partner):
    entry = {
        "name": "stripe-api",
        "link": "fiber",
        "on_link_failure": "failover",
        "failover_links": ["lte"],
        "mark": "0x100",
        "prefixes": ["198.18.10.0/24"],
        "health_check": "",
        "description": "",
    }
    entry.update(partner)
    return {"partners": [entry]}


@pytest.mark.parametrize(
    "change, shown",
    [
        ({"health_check": "https://api.example/health"}, "health_check `(none)` → `https://api.example/health`"),
        ({"description": "new"}, "description `(none)` → `new`"),
        ({"failover_links": ["dsl", "lte"]}, "failover_links [lte] → [dsl, lte]"),
        ({"mark": "0x8100"}, "mark `0x100` → `0x8100`"),
    ],
)
def test_every_changed_partner_line_names_the_field(change, shown):
    changes = partner_changes(_plan(), _plan(**change))
    result = {
        "valid": True,
        "routers": {"gw1": {}},
        "digest": "sha256:x",
        "warnings": [],
        "base": "main",
        "partners_changed": {},
        "changes": {
            "gw1": {
                "status": "changed",
                "partners": changes,
                "set_elements": {},
                "rules": {"added": [], "removed": []},
                **{k: {"added": [], "removed": []} for k in ("routes", "tables", "sysctls", "link_health", "settings")},
            }
        },
    }
    line = next(line for line in markdown(result).splitlines() if line.startswith("- **stripe-api**:"))
    assert shown in line and not line.endswith(": ")


def _git(root, *args):
    subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "PATH": "/usr/bin:/bin",
        },
    )


def test_the_default_failover_order_written_out_changes_nothing(tmp_path):
    inventory = tmp_path / "inv"
    for directory in ("host_vars", "group_vars/all"):
        (inventory / directory).mkdir(parents=True)
    (inventory / "hosts.yml").write_text("symroute_routers:\n  hosts:\n    gw1: {}\n")
    (inventory / "host_vars" / "gw1.yml").write_text(
        "symroute_links:\n"
        "  - {name: fiber, interface: eth1, address: 198.51.100.2/30, gateway: 198.51.100.1}\n"
        "  - {name: lte, interface: wwan0, address: dynamic, gateway: dynamic}\n"
        "symroute_lan_networks: [10.10.0.0/16]\n"
    )
    partners = inventory / "group_vars" / "all" / "partners.yml"
    partners.write_text("symroute_partners:\n  - name: stripe-api\n    prefixes: [198.18.10.0/24]\n    link: fiber\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    partners.write_text(partners.read_text() + "    failover_links: [lte]\n")
    result = subprocess.run(
        [*SYMROUTE, "plan", "--inventory", str(inventory), "--base", "HEAD"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 router(s) change. The plans are the same as the base's" in result.stdout
    assert "- **stripe-api**: \n" not in result.stdout
