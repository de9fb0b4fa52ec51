"""What the monitor knows of its dynamic links' current addressing (learned.py reads it from the kernel).

After every routing repair the facts it used are handed here: the links' probe sources follow the
current address (a probe of a family whose address is not there is not sent, so none can leave with
another link's address, and a round without any counts neither way: the kernel already routes around
a family without its address, whose table is empty), each change is logged and counted, a link whose
address went away or changed has its connections deleted (they are bound to an address it no longer
has), and the state file and the metrics show the policy beside what was learned.
"""


class LearnedLinks:
    def __init__(self, plan_links, log):
        """``plan_links``: the monitor plan's links, whose ``addresses`` the probe threads read each probe."""
        self.links = {link["name"]: link for link in plan_links}
        self.static = {link["name"]: list(link["addresses"]) for link in plan_links}
        self.log = log
        self.facts = {}  # (link, family) -> {"address", "gateway", ...}
        self.changes = {}  # (link, family) -> number of address changes seen
        self.version = 0  # counts every change of what is known: the state file is written anew on it

    @property
    def dynamic(self):
        """(link, family) of every learned family of the plan."""
        return [(name, family) for name, link in self.links.items() for family in link.get("learned_families", [])]

    def interfaces(self):
        return {self.links[name]["interface"] for name, _family in self.dynamic}

    def update(self, facts):
        """The facts of one repair; the links whose address went away or changed (their connections are
        bound to an address they no longer have)."""
        renumbered = []
        for fact in facts or []:
            key = (fact["link"], fact["family"])
            if key not in set(self.dynamic):
                continue
            before = self.facts.get(key)
            now = {"address": fact["address"], "gateway": fact["gateway"] if fact["gateway_known"] else None}
            if before == now:
                continue
            self.facts[key] = now
            self.version += 1
            if before is not None and before["address"] != now["address"]:
                self.changes[key] = self.changes.get(key, 0) + 1
                if before["address"] and fact["link"] not in renumbered:
                    renumbered.append(fact["link"])
            self.log(
                f"link {fact['link']}: IPv{fact['family']} address "
                f"{(before or {}).get('address') or 'none'} -> {now['address'] or 'none'}, gateway "
                f"{self._gateway_text(now)} (learned from {fact['interface']})"
            )
        self._apply_sources()
        return renumbered

    @staticmethod
    def _gateway_text(fact):
        if fact["gateway"] is None:
            return "none"
        return fact["gateway"] or "the point-to-point peer"

    def _apply_sources(self):
        for name, link in self.links.items():
            addresses = list(self.static[name])
            for family in link.get("learned_families", []):
                address = (self.facts.get((name, family)) or {}).get("address")
                if address:
                    addresses.append({"family": family, "address": address.split("/")[0]})
            link["addresses"] = addresses  # one assignment: a probe thread reads the old or the new list

    def address_of(self):
        """{address: link} of every current address (the static ones and the learned ones)."""
        return {entry["address"]: name for name, link in self.links.items() for entry in link["addresses"]}

    def report(self):
        """{link: {"ipv4": {"policy": "learned", "address", "gateway", "changes"}}} of the learned families."""
        shown = {}
        for name, family in self.dynamic:
            fact = self.facts.get((name, family)) or {"address": "", "gateway": None}
            shown.setdefault(name, {})[f"ipv{family}"] = {
                "policy": "learned",
                "address": fact["address"],
                "gateway": fact["gateway"],
                "changes": self.changes.get((name, family), 0),
            }
        return shown
