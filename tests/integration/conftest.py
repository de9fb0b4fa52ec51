"""A router container from the lab image, converged by symmetric-routing.yml (see tests/routerlab.py)."""

import pytest

from routerlab import remove_router, start_router

CONTAINER = "symroute-test-router"


@pytest.fixture(scope="session")
def router(tmp_path_factory):
    device = start_router(CONTAINER, tmp_path_factory.mktemp("inventory"))
    first = device.playbook()
    assert first.returncode == 0, first.stdout + first.stderr
    yield device
    remove_router(CONTAINER)
