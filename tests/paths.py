"""Where the repository is (pytest's pythonpath, set in pyproject.toml, makes everything importable)."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
