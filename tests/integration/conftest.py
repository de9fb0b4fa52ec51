"""Shared labs: a router container converged by symmetric-routing.yml (tests/routerlab.py), and a three-link
router in namespaces (tests/threelinklab.py)."""

import pytest

from routerlab import remove_router, start_router
from threelinklab import Lab

CONTAINER = "symroute-test-router"


@pytest.fixture(scope="session")
def router(tmp_path_factory):
    device = start_router(CONTAINER, tmp_path_factory.mktemp("inventory"))
    first = device.playbook()
    assert first.returncode == 0, first.stdout + first.stderr
    yield device
    remove_router(CONTAINER)


@pytest.fixture(scope="session")
def three_links(tmp_path_factory):
    """The three-link router in namespaces (tests/threelinklab.py), set up once for every test using it."""
    lab = Lab(tmp_path_factory.mktemp("three-links"))
    try:
        yield lab.open()
    finally:
        lab.close()
