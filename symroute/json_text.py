"""JSON text of plans: exactly the text of ``json.dumps(value, sort_keys=True, indent=...)`` (compact separators
without an indent, ``json.dumps``'s own with one), made faster for fleets.

Routers that share a partner list share its prefix lists in their plans
(partner_prefixes.py): the same list object, 100,000 strings, in every plan.
Serializing them router after router is most of the time of a fleet's digest and
output, so the text of a list met again at the same depth is reused, and a list
of strings is encoded by the C encoder in one call. Any value of another type
than dict (string keys), list, tuple, str (and its subclasses), int, float, bool
and None makes the whole value go through ``json.dumps`` itself.
"""

import json
from json.encoder import encode_basestring_ascii
from typing import Any, Optional, TextIO

REUSED_LENGTH = 64  # lists of strings at least this long have their text kept for another occurrence
REUSED_BYTES = 4096  # pieces of text at least this long have their bytes kept by update_hash
_CONSTANTS = {True: "true", False: "false", None: "null"}


class _Unusual(Exception):
    """A value this encoder does not write itself."""


def _float(value):
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


class _Encoder:
    """Writes a value as chunks of text into a list (one join at the end: large texts are copied once)."""

    def __init__(self, indent):
        self.indent = indent
        self.texts = {}  # (id(list), depth) -> (list, text): the list is held, so its id stays its own

    def _separators(self, depth):
        if self.indent is None:
            return "", ",", ":", ""
        inner = "\n" + " " * (self.indent * (depth + 1))
        return inner, "," + inner, ": ", "\n" + " " * (self.indent * depth)

    def write(self, value, depth, out):
        kind = type(value)
        if kind is dict:
            self._dict(value, depth, out)
        elif kind is list or kind is tuple:
            self._list(value, depth, out)
        elif isinstance(value, str):  # subclasses too (Ansible's host names): json writes their text
            out.append(encode_basestring_ascii(value))
        elif kind is bool or value is None:
            out.append(_CONSTANTS[value])
        elif kind is int:
            out.append(int.__repr__(value))
        elif kind is float:
            out.append(_float(value))
        else:
            raise _Unusual(kind.__name__)

    def _dict(self, value, depth, out):
        if not value:
            out.append("{}")
            return
        if not all(isinstance(key, str) for key in value):
            raise _Unusual("a key that is not a string")
        opening, between, colon, closing = self._separators(depth)
        out.append("{" + opening)
        for position, key in enumerate(sorted(value)):
            out.append((between if position else "") + encode_basestring_ascii(key) + colon)
            self.write(value[key], depth + 1, out)
        out.append(closing + "}")

    def _list(self, value, depth, out):
        if not value:
            out.append("[]")
            return
        known = self.texts.get((id(value), depth))
        if known is not None:
            out.append(known[1])
            return
        opening, between, _, closing = self._separators(depth)
        if all(type(item) is str for item in value):
            text = "[" + opening + between.join(map(encode_basestring_ascii, value)) + closing + "]"
            if len(value) >= REUSED_LENGTH:
                self.texts[(id(value), depth)] = (value, text)
            out.append(text)
            return
        out.append("[" + opening)
        for position, item in enumerate(value):
            if position:
                out.append(between)
            self.write(item, depth + 1, out)
        out.append(closing + "]")


def chunks(value: Any, indent: Optional[int] = None, reuse: Optional["_Encoder"] = None) -> list[str]:
    """The text of ``json.dumps(value, sort_keys=True, indent=indent)`` as a list of pieces, in order.

    Separators are compact when ``indent`` is None. ``reuse`` (from ``reused_texts(indent)``) keeps list texts
    across calls, e.g. over the plans of one digest.
    """
    encoder = reuse if reuse is not None else _Encoder(indent)
    if encoder.indent != indent:
        raise ValueError("the reused texts were made with another indent")
    out = []
    try:
        encoder.write(value, 0, out)
        return out
    except _Unusual:
        separators = (",", ":") if indent is None else (",", ": ")
        return [json.dumps(value, sort_keys=True, indent=indent, separators=separators, ensure_ascii=True)]


def dumps(value: Any, indent: Optional[int] = None, reuse: Optional["_Encoder"] = None) -> str:
    """``json.dumps(value, sort_keys=True, indent=indent)`` (compact separators when ``indent`` is None)."""
    return "".join(chunks(value, indent, reuse))


def write(value: Any, stream: TextIO, indent: Optional[int] = None) -> None:
    """Write ``dumps(value, indent)`` to a text stream, without making the whole text first (a fleet's is large)."""
    stream.writelines(chunks(value, indent))


def update_hash(
    digest: Any, value: Any, reuse: Optional["_Encoder"] = None, encoded: Optional[dict[int, tuple[str, bytes]]] = None
) -> None:
    """Feed the bytes of ``dumps(value)`` to a hashlib object without making the whole text first.

    ``encoded`` ({id(text): (text, bytes)}, with ``reuse``): the bytes of each reused list text are made once.
    """
    encoded = {} if encoded is None else encoded
    small = []
    for piece in chunks(value, None, reuse):
        if len(piece) < REUSED_BYTES:
            small.append(piece)
            continue
        if small:
            digest.update("".join(small).encode())
            small = []
        if id(piece) not in encoded:
            encoded[id(piece)] = (piece, piece.encode())
        digest.update(encoded[id(piece)][1])
    if small:
        digest.update("".join(small).encode())


def reused_texts(indent: Optional[int] = None) -> "_Encoder":
    """List texts to reuse over several calls; keep it no longer than the values (it holds them)."""
    return _Encoder(indent)
