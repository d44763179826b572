"""When the local system snapshots its tables (infrastructure/local/persistence.py, Store.autosave).

GIVEN a journal that holds some writes
WHEN autosave's rounds come
THEN the tables are snapshot (and the journal compacted) only once the journal holds enough writes or
the last snapshot is old enough; every other round saves Cognito alone.
The journal makes every write durable whatever autosave does (tests/e2e/test_durability.py kills the
system with -9): a snapshot only shortens the next start's replay, and taking one reads every table.
"""
from __future__ import annotations

import threading

from infrastructure.local.persistence import Store


class _Journal:
    def __init__(self, lines: int) -> None:
        self.lines = lines


class _Rounds(threading.Event):
    """A stop event whose wait() lets `rounds` rounds run, then stops."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.left = rounds

    def wait(self, timeout: float | None = None) -> bool:
        self.left -= 1
        return self.left < 0


def _autosave(lines: int, rounds: int, **limits) -> list[str]:
    store, calls = Store.__new__(Store), []
    store.compact = lambda journal: calls.append("tables") or True
    store.save = lambda: calls.append("cognito") or False
    store.root = "."
    store.autosave(_Rounds(rounds), _Journal(lines), every=0.0, **limits)
    return calls


def test_a_few_writes_wait_for_the_snapshot_while_cognito_is_saved_each_round():
    assert _autosave(lines=50, rounds=3, compact_lines=1000, compact_seconds=3600) == ["cognito"] * 3


def test_a_journal_that_grew_long_is_compacted():
    assert _autosave(lines=1000, rounds=1, compact_lines=1000, compact_seconds=3600) == ["tables"]


def test_writes_older_than_the_interval_are_compacted_and_an_empty_journal_never_is():
    assert _autosave(lines=5, rounds=1, compact_lines=1000, compact_seconds=0) == ["tables"]
    assert _autosave(lines=0, rounds=2, compact_lines=1000, compact_seconds=0) == ["cognito", "cognito"]
