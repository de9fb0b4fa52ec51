"""Problems found in an inventory, reported all at once."""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: where it is (router, item, field), what is wrong, and the file ("path:line") it is in."""

    where: str
    message: str
    file: str = ""

    def __str__(self):
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{self.file}: {text}" if self.file else text


class InventoryError(Exception):
    """The inventory is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = sorted(set(problems))
        super().__init__(self.describe())

    def describe(self):
        count = len(self.problems)
        lines = [f"symroute: the inventory has {count} problem{'s' if count != 1 else ''}:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)
