"""A strict reader of the Prometheus text exposition format (the monitor's metrics file), for tests."""

import math
import re

# A strict reading of the Prometheus text exposition format (version 0.0.4), for what the monitor writes:
# comment lines are "# HELP name text" or "# TYPE name type"; a sample is
#   name{label="value",...} value
# where a label value is any text with backslash, double quote and line feed escaped as \\, \" and \n,
# and (the monitor's own promise) the value is a finite number.
METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r'(?:[^"\\\n]|\\[\\"n])*'
LABEL = rf'({LABEL_NAME})="({LABEL_VALUE})"'
FINITE = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
SAMPLE = re.compile(rf"({METRIC_NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? ({FINITE})")
HELP = re.compile(rf"# HELP ({METRIC_NAME}) [^\n\\]*")
TYPE = re.compile(rf"# TYPE ({METRIC_NAME}) (counter|gauge|histogram|summary|untyped)")
UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


def _unescape(value):
    return re.sub(r"\\(.)", lambda match: UNESCAPE[match.group(1)], value)


def parse(text):
    """The samples of a metrics text as (name, {label: value}, float); any line out of the format fails."""
    assert text.endswith("\n")
    samples, typed = [], set()
    for line in text[:-1].split("\n"):
        if line.startswith("#"):
            comment = HELP.fullmatch(line) or TYPE.fullmatch(line)
            assert comment, f"not a HELP or TYPE line: {line!r}"
            if line.startswith("# TYPE"):
                typed.add(comment.group(1))
            continue
        match = SAMPLE.fullmatch(line)
        assert match, f"not a valid sample line: {line!r}"
        name, label_text, value = match.group(1), match.group(2) or "", match.group(match.lastindex)
        labels, position = {}, 0
        for label in re.finditer(LABEL, label_text):
            assert label.start() == position, f"labels do not follow each other in {line!r}"
            assert label.group(1) not in labels, f"label {label.group(1)} twice in {line!r}"
            labels[label.group(1)] = _unescape(label.group(2))
            position = label.end() + 1  # past the comma
        assert position == len(label_text) + 1 or not label_text
        assert name in typed, f"{name} sampled before its TYPE line"
        number = float(value)
        assert math.isfinite(number)
        samples.append((name, labels, number))
    return samples
