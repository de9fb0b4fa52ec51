"""Findings of the paths themselves: conntrack groups nobody answers, and WAN link sysctls
(strict rp_filter; routes kept without carrier)."""

from . import finding, partner_entry


def for_conntrack_group(group, context):
    """A finding when connections to the prefix by the link go unanswered and none by the link is answered."""
    if not group["unanswered"] or group["answered"]:
        return None
    subject = f"{group['prefix']} via {group['link']}"
    evidence = {
        key: group[key]
        for key in ("prefix", "link", "interface", "answered", "unanswered", "other", "example", "sources")
    }
    example = group["example"]
    shown = (
        f"[{example['address']}]:{example['port']}"
        if group["family"] == 6
        else f"{example['address']}:{example['port']}"
    )
    fix = (
        f"Confirm with `symroute doctor --target {shown}` (it tells a return path by another link from a "
        f"destination that is down). " + finding.pin_fix(group["prefix"], group["link"], proven=False)
    )
    return finding.make(
        "conntrack-unanswered",
        subject,
        "problem",
        f"{group['unanswered']} connection(s) to {group['prefix']} leaving by {group['link']} got no "
        f"reply, and none by {group['link']} did",
        evidence,
        fix,
        partner_entry.entry(
            group["prefix"], group["link"], example["address"], example["port"], context["router"], context["generated"]
        ),
    )


def sysctl_key(family_key, interface, setting):
    """``net.ipv4.conf.eth0/100.rp_filter``: sysctl writes a '.' inside an interface name as '/'."""
    return f"net.{family_key}.conf.{interface.replace('.', '/')}.{setting}"


def for_link(link):
    found = []
    rp = link["rp_filter"]
    if rp["effective"] == 1:
        key = sysctl_key("ipv4", link["interface"], "rp_filter")
        found.append(
            finding.make(
                "rp-filter-strict",
                link["interface"],
                "problem",
                f"strict reverse-path filtering on {link['name']} ({link['interface']}): a reply "
                "that arrives on it while the main table routes its source by another link is "
                "dropped",
                {
                    "link": link["name"],
                    "interface": link["interface"],
                    "all": rp["all"],
                    "interface_value": rp["interface"],
                    "effective": rp["effective"],
                },
                f"Loose mode (the larger of 'all' and the interface's value applies): `sysctl -w "
                f"{key}=2`, and `{key} = 2` in /etc/sysctl.d/ to keep it.",
            )
        )
    off = [key for key, value in sorted(link["ignore_routes_with_linkdown"].items()) if value == 0]
    if off:
        keys = [sysctl_key(key, link["interface"], "ignore_routes_with_linkdown") for key in off]
        found.append(
            finding.make(
                "routes-used-without-carrier",
                link["interface"],
                "problem",
                f"a route via {link['name']} ({link['interface']}) stays usable when the link loses "
                "carrier (ignore_routes_with_linkdown is 0)",
                {
                    "link": link["name"],
                    "interface": link["interface"],
                    "ignore_routes_with_linkdown": link["ignore_routes_with_linkdown"],
                },
                f"`sysctl -w {' '.join(f'{key}=1' for key in keys)}`, and the same in /etc/sysctl.d/ to keep it.",
            )
        )
    return found
