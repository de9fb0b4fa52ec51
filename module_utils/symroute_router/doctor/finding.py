"""The shape of a finding, and the words findings share.

A finding is {"id", "kind", "subject", "severity" ("problem" or "info"), "title", "evidence",
"fix"} and, when pinning a prefix with symroute is the fix, "partner_entry" ({"entry", "yaml"}).
"""

import ipaddress


def make(kind, subject, severity, title, evidence, fix, entry=None):
    found = {
        "id": f"{kind}/{subject}",
        "kind": kind,
        "subject": subject,
        "severity": severity,
        "title": title,
        "evidence": evidence,
        "fix": fix,
    }
    if entry is not None:
        found["partner_entry"] = entry
    return found


def prefix_of(address, lengths):
    ip = ipaddress.ip_address(address)
    return str(ipaddress.ip_network(f"{ip}/{lengths[ip.version]}", strict=False))


def outcome(attempt):
    if attempt is None:
        return "not tried"
    if attempt["result"] == "answered":
        return f"answered ({attempt['answer']})"
    return f"{attempt['result']} ({attempt['detail']})" if attempt["detail"] else attempt["result"]


def pin_fix(prefix, link, proven=True):
    """The fix of a prefix whose site traffic needs a pinned link; ``proven``: the link's own address is answered."""
    answers = "which the destination answers" if proven else "(the --target run proves the destination answers it)"
    return (
        f"Pin {prefix} to {link} with symroute: connections to it then leave by {link} with {link}'s own "
        f"address, {answers}, so the replies come back by {link}. Paste the entry below "
        "into the partner file in a pull request; first confirm the partner's published address ranges "
        f"(the prefix is this address's /{prefix.split('/')[1]}, a guess) and rename the entry."
    )
