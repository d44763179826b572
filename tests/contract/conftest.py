"""Contract tests fuzz a running local system of their own.

Declared here (not shared with tests/e2e), so a run of both layers starts one system for
each and the fuzzer never shares data with the e2e tests.
"""
import pytest

from tests.e2e.conftest import start_local_system


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory):
    """The local system on free ports with fresh data, as a `LocalSystem` client."""
    system = start_local_system(tmp_path_factory.mktemp("local-system"))
    yield system
    system.stop()
