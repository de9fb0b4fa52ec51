"""Per-prefix work done once per distinct input, however many routers need it (issue #14).

A fleet's routers usually read one partner file: the same 100,000 prefixes to
parse, check, sweep for overlaps and aggregate, router after router. Work whose
inputs are equal gives equal results, so it is memoised here, in this process
only, under an exact key of its inputs:

- ``canonical`` turns plain data (what the inventory loader hands over: dict,
  list, str, int, float, bool, None of exactly those types) into a hashable
  value that is equal only for data no check can tell apart (types, order,
  ``-0.0`` against ``0.0`` included). Anything else has no key and is computed
  for its router alone, so an unusual input costs time, never correctness.
- ``Sharing`` is one planning call's view of a ``SharedWork``: the canonical key
  of a value is computed once per object during the call (routers loaded from
  one file hold the same object, and nothing changes it while it is planned).
  One ``SharedWork`` may serve several calls, e.g. the head and the base
  inventory of ``bin/symroute plan --base``.
- ``of_objects``: work on results that are themselves shared (a partner's
  validated prefixes, which the memo above hands to every list that holds the
  same prefix list), keyed by the identity of those objects, which are held
  so their identities stay theirs. The base of a pull request that changes a
  few partners reuses the head's work on all the others.
- ``parsed_files``: the YAML data of the inventory files read during the
  command, by the SHA-256 of their bytes (inventory_files.scan): the base's
  files equal to the head's, byte for byte, are not parsed again.

Results are shared between routers: whoever receives one must not change it.
"""

from collections import Counter
from typing import Any

MAX_DEPTH = 16
_SCALARS = {bool: "bool", int: "int", type(None): "none"}


class Unshareable(Exception):
    """A value without an exact key: its work is done for its router alone."""


def canonical(value: Any, depth: int = 0) -> Any:
    """A hashable, exact representation of plain data (raises Unshareable for anything else)."""
    kind = type(value)
    if kind is str:
        return value
    if depth > MAX_DEPTH:
        raise Unshareable("nested too deep")
    if kind is list or kind is tuple:
        if all(type(item) is str for item in value):  # a prefix list: its strings are their own key
            return (kind.__name__, tuple(value))
        return (kind.__name__, tuple(canonical(item, depth + 1) for item in value))
    if kind is dict:
        return ("dict", tuple((canonical(key, depth + 1), canonical(item, depth + 1)) for key, item in value.items()))
    if kind is float:
        return ("float", repr(value))
    if kind in _SCALARS:
        return (_SCALARS[kind], value)
    raise Unshareable(kind.__name__)


class _Key:
    """A canonical value with its hash computed once: a partner list's key is large, and looked up per router."""

    __slots__ = ("value", "_hash")

    def __init__(self, value):
        self.value = value
        self._hash = hash(value)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other or (isinstance(other, _Key) and self._hash == other._hash and self.value == other.value)


class SharedWork:
    """Results by (kind, exact key of their inputs), for one command; ``computed`` counts the work done."""

    def __init__(self):
        self._results = {}
        self._keys = {}
        self._by_identity = {}  # (kind, context, ids) -> (the objects, result)
        self.computed = Counter()
        self.parsed_files = {}

    def known_key(self, key):
        """The equal key seen before (compared once here, by identity afterwards), else ``key`` itself."""
        return self._keys.setdefault(key, key)

    def result(self, kind, key, compute):
        if (kind, key) not in self._results:
            self.computed[kind] += 1
            self._results[(kind, key)] = compute()
        return self._results[(kind, key)]

    def of_objects(self, kind, objects, context, compute):
        """``compute()``, once per (kind, identity of each of the tuple ``objects``, context); ``context`` must be
        hashable and exact."""
        key = (kind, context, tuple(map(id, objects)))
        if key not in self._by_identity:
            self.computed[kind] += 1
            self._by_identity[key] = (objects, compute())
        return self._by_identity[key][1]

    def sharing(self):
        """A view for one planning call (its own object-to-key memo)."""
        return Sharing(self)


class Sharing:
    """One planning call's access to a SharedWork."""

    def __init__(self, work):
        self._work = work
        self._keys = {}  # id(value) -> (value, key): holding the value keeps its id from being reused

    def key(self, value):
        """The canonical key of ``value``, None when it has none."""
        known = self._keys.get(id(value))
        if known is None:
            try:
                key = self._work.known_key(_Key(canonical(value)))
            except Unshareable:
                key = None
            known = self._keys[id(value)] = (value, key)
        return known[1]

    def of_objects(self, kind, objects, context, compute):
        """SharedWork.of_objects: ``compute()`` once per (kind, identity of each of ``objects``, context)."""
        return self._work.of_objects(kind, objects, context, compute)

    def once(self, kind, value, context, compute):
        """``compute()``, done once per (kind, value's content, context); ``context`` must be hashable and exact."""
        key = self.key(value)
        if key is None:
            return compute()
        return self._work.result(kind, (key, context), compute)
