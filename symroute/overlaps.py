"""Find every pair of overlapping prefixes in O(n log n).

CIDR prefixes either nest or are disjoint, so one sort and a stack of the
prefixes that are still "open" finds each containing prefix of each prefix.
"""

from collections import namedtuple

Entry = namedtuple("Entry", "network owner")


def overlapping_pairs(entries):
    """Yield (outer, inner) for every pair where outer contains (or equals) inner.

    ``entries`` is an iterable of Entry(network, owner); families never mix.
    The stack holds at most one prefix per prefix length, so the pairs are
    bounded by 129 per prefix.
    """
    by_family = {4: [], 6: []}
    for entry in entries:
        by_family[entry.network.version].append(entry)
    for family_entries in by_family.values():
        family_entries.sort(key=lambda e: (e.network.first, -e.network.last, e.owner))
        stack = []
        for entry in family_entries:
            while stack and stack[-1].network.last < entry.network.first:
                stack.pop()
            for outer in stack:
                yield outer, entry
            stack.append(entry)
