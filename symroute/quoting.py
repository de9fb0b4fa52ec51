"""One quoting helper per target syntax: how a string reaches a rendered file.

Every value a template writes goes through ``quote(value, syntax)``. Values
were validated before (names, interfaces, paths are tokens); this is the
second line: a value that does not fit its syntax raises ``QuotingError``
instead of being written, and free text in comments is escaped so that it can
never end the comment's line.
"""

import json
import re
import shlex

_TOKEN = re.compile(r"[A-Za-z0-9_.:/@+-]+")
_SYSCTL_KEY = re.compile(r"[A-Za-z0-9_]+(?:[./][A-Za-z0-9_.@+-]+)+")
_NFT_STRING = re.compile(r"[A-Za-z0-9_.:/@+-]{1,64}")


class QuotingError(ValueError):
    """A value that cannot be written in the target syntax."""


def _require(pattern, value, syntax):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise QuotingError(f"{value!r} cannot be written as {syntax}")
    return value


def comment(value: object) -> str:
    """Free text on one comment line: every non-printable character is escaped (\\n, \\x1b, \\u2028)."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in str(value))


def nft_string(value: object) -> str:
    """A quoted nftables string (interface names): only token characters, no quote to escape."""
    return f'"{_require(_NFT_STRING, value, "an nftables string")}"'


def systemd(value: object) -> str:
    """One double-quoted word of a systemd unit setting (ExecStart= arguments, Environment=)."""
    text = str(value)
    if any(not char.isprintable() for char in text):
        raise QuotingError(f"{value!r} cannot be written in a systemd unit (control characters)")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def prometheus_label(value: object) -> str:
    """A Prometheus label value, quoted and escaped per the text exposition format."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


SYNTAXES = {
    "comment": comment,
    "nft_string": nft_string,
    "token": lambda value: _require(_TOKEN, value, "a token"),
    "sysctl_key": lambda value: _require(_SYSCTL_KEY, value, "a sysctl key"),
    "systemd": systemd,
    "shell": lambda value: shlex.quote(str(value)),
    "prometheus_label": prometheus_label,
    "json": lambda value: json.dumps(value, sort_keys=True, ensure_ascii=True),
}


def quote(value: object, syntax: str) -> str:
    """``value`` written for ``syntax`` (one of ``SYNTAXES``); raises QuotingError."""
    try:
        return SYNTAXES[syntax](value)
    except KeyError:
        raise QuotingError(f"unknown syntax {syntax!r} (known: {', '.join(sorted(SYNTAXES))})") from None
