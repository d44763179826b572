"""Contract tests fuzz the running local system that the end-to-end layer starts.

Importing tests/e2e's fixtures makes `local_system` (session scope: the system on free
ports with fresh data, as a `LocalSystem` client) visible to tests/contract without a
tests/conftest.py. Being declared here too, it is a fixture of its own: a run of both
layers starts one system for each, so the fuzzer never shares data with e2e tests.
"""
from tests.e2e.conftest import *  # noqa: F401,F403
