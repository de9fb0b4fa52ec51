"""What every benchmark shares: its command line, its table, and where the table goes."""

import argparse
from pathlib import Path


def arguments(description, smoke_help, rounds):
    """Parse --smoke, --rounds and --markdown for a benchmark."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help=smoke_help)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    return parser.parse_args()


def table(caption, headers, rows, left_aligned=()):
    """A Markdown table under a one-line caption; cells are already formatted strings."""
    align = ["---" if index in left_aligned else "---:" for index in range(len(headers))]
    lines = [caption, "", "| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def emit(table, path):
    """Print the table, and write it to ``path`` when given."""
    print(table, end="")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(table)
