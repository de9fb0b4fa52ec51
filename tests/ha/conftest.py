"""The HA lab (tests/halab.py), shared by every test of this directory: molecule's ``ha`` scenario creates and
converges it and runs these tests as its verify step (SYMROUTE_HA_LAB=running); run alone
(``pytest tests/ha``), the session starts the lab and removes it at the end.

Each test leaves the pair whole (both routers running, converged, one master): a test that takes a router away
brings it back before it ends. test_ha_pair.py runs first (its first test proves the converge, with edge-1 the
master) and test_ha_remove.py last (it removes symroute from the pair); the other files run between them.
"""

import os

import halab
import pytest


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    directory = tmp_path_factory.mktemp("halab")
    if os.environ.get("SYMROUTE_HA_LAB") == "running":
        yield {"directory": directory, "inventory": halab.inventory(directory)}
        return
    try:
        inventory = halab.start(directory)
        yield {"directory": directory, "inventory": inventory}
    finally:
        halab.stop()


FIRST, LAST = "test_ha_pair.py", "test_ha_remove.py"


def pytest_collection_modifyitems(items):
    """test_ha_pair.py first, test_ha_remove.py last, every file's tests in their own order."""

    def rank(item):
        name = item.path.name
        return 0 if name == FIRST else 2 if name == LAST else 1

    items.sort(key=rank)
