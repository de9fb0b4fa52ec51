"""docs/performance.md is what bench/record.py writes from docs/results/: a hand edit there that `make bench`
would drop (or a section record.py lacks) fails here."""

import importlib.util

from paths import REPOSITORY


def _record_module():
    spec = importlib.util.spec_from_file_location("record", REPOSITORY / "bench" / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_machine(text):
    return [line for line in text.splitlines() if not line.startswith("Machine of this record:")]


def test_performance_md_is_what_record_writes(tmp_path):
    record = _record_module()
    record.REPOSITORY = tmp_path  # main() names what it wrote relative to the repository
    record.OUTPUT = tmp_path / "performance.md"
    record.main()
    written = record.OUTPUT.read_text()
    assert _without_machine(written) == _without_machine((REPOSITORY / "docs" / "performance.md").read_text())


def test_every_benchmark_with_results_has_its_section():
    record = _record_module()
    sections = {name for _, name, *_ in record.SECTIONS}
    results = {path.stem for path in (REPOSITORY / "docs" / "results").glob("*.md")}
    assert results <= sections, results - sections
