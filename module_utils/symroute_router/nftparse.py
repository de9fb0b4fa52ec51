"""The statements of an nftables file or listing, one per line as a person reads them in a diff.

``entries(text)`` gives ``(path, statement, is_block)`` in file order: ``path``
is the tuple of enclosing blocks (``("table inet symroute", "chain classify")``),
a block's own header is an entry too. Comments are dropped, whitespace is
collapsed, and the elements of a set or an anonymous set/map are one entry
each, so ``elements = { a, b }`` on one line and one element per line with
trailing commas read the same. Only the layout is normalized, never the
syntax: ``and``/``&`` stay different.
"""

BLOCKS = ("table", "chain", "set", "map", "flowtable")


class NftSyntaxError(ValueError):
    """Unbalanced braces or an unterminated string."""


def _clean(text):
    return " ".join(text.split()).strip(",;").strip()


def _is_block(head):
    words = head.split()
    return bool(words) and words[0] in BLOCKS and len(words) <= 3


class _Statement:
    """A statement being read: text, and the element lists of its anonymous collections."""

    def __init__(self):
        self.parts = [""]
        self.collections = []

    def lines(self):
        texts = [_clean(part) for part in self.parts]
        if len(self.collections) == 1:
            before, after = texts
            return [_clean(f"{before} {{ {element} }} {after}") for element in self.collections[0]] or [
                _clean(f"{before} {{ }} {after}")
            ]
        words = [texts[0]]
        for elements, text in zip(self.collections, texts[1:]):
            words.append("{ " + ", ".join(elements) + " } " + text)
        return [_clean(" ".join(words))] if _clean(" ".join(words)) else []


def _collection(text, start):
    """The elements of an anonymous collection whose '{' is at ``start - 1``; (elements, index after '}')."""
    elements, current, depth, index = [], "", 0, start
    while index < len(text):
        char = text[index]
        if char == '"':
            end = text.find('"', index + 1)
            if end < 0:
                raise NftSyntaxError("unterminated string")
            current += text[index : end + 1]
            index = end + 1
            continue
        if char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                elements.append(_clean(current))
                return [e for e in elements if e], index + 1
            depth -= 1
        if char == "," and depth == 0:
            elements.append(_clean(current))
            current = ""
        else:
            current += char
        index += 1
    raise NftSyntaxError("unbalanced braces: '{' without '}'")


def entries(text):
    """[(path, statement, is_block)] of ``text``; raises NftSyntaxError."""
    found, path, statement, index = [], [], _Statement(), 0

    def finish():
        nonlocal statement
        found.extend((tuple(path), line, False) for line in statement.lines() if line)
        statement = _Statement()

    while index < len(text):
        char = text[index]
        if char == '"':
            end = text.find('"', index + 1)
            if end < 0:
                raise NftSyntaxError("unterminated string")
            statement.parts[-1] += text[index : end + 1]
            index = end + 1
            continue
        if char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        if char in "\n;":
            finish()
        elif char == "{":
            head = _clean(statement.parts[0])
            if not statement.collections and _is_block(head):
                found.append((tuple(path), head, True))
                path.append(head)
                statement = _Statement()
            else:
                elements, index = _collection(text, index + 1)
                statement.collections.append(elements)
                statement.parts.append("")
                continue
        elif char == "}":
            finish()
            if not path:
                raise NftSyntaxError("unbalanced braces: '}' without '{'")
            path.pop()
        else:
            statement.parts[-1] += char
        index += 1
    finish()
    if path:
        raise NftSyntaxError(f"unbalanced braces: {path[-1]!r} is not closed")
    return found


def render(entry):
    """One entry as a diff line: ``table inet symroute > chain classify: ip6 saddr fe80::/10 return``."""
    path, statement, is_block = entry
    if is_block:
        return " > ".join(path + (statement,)) + " {"
    return f"{' > '.join(path)}: {statement}" if path else statement


def lines(text):
    """The rendered entries of ``text`` (empty for None)."""
    return [render(entry) for entry in entries(text)] if text is not None else []
