"""The links' states as the kernel holds them: interface present, carrier, in the out-of-service group."""

from .iproute import answers

OUT_OF_SERVICE_GROUP = 0x5359


def read(runner, interfaces, out_of_service_group=OUT_OF_SERVICE_GROUP):
    """{link: {interface, present, carrier, out_of_service, in_service}} for {link: interface}."""
    by_name = {entry.get("ifname"): entry for entry in answers(runner, ["-json", "link", "show"])}
    states = {}
    for link, interface in sorted(interfaces.items()):
        entry = by_name.get(interface) or {}
        present = bool(entry)
        carrier = present and "LOWER_UP" in entry.get("flags", [])
        gated = present and str(entry.get("group", "")) == str(out_of_service_group)
        states[link] = {
            "interface": interface,
            "present": present,
            "carrier": carrier,
            "out_of_service": gated,
            "in_service": present and carrier and not gated,
        }
    return states
