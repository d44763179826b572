"""Destruction runs (폐기 집행), their files page by page, the organisation's settings and the destruction
register (keys: see tables.py).

A run's files are written before the run (they are invisible until it exists: nothing reads a run's
partition without its run), then the run and its `DestructionRunStarted` event in one transaction. Each
saga step changes a file conditionally on the state it read, so a repeated step changes nothing twice.
"""
from __future__ import annotations

from typing import Iterator

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.model import FileView, RegisterEntry, Run, RunFile, Settings
from .files import stage_file
from .tables import (DESTRUCTION_RUNS, SETTINGS, RegisterItem, RunFileItem, RunItem, SettingsItem, org_key,
                     page_prefix, register_key, run_key, run_sort_key)
from .tx import Tx, page, read

FILES_PER_TRANSACTION = 50  # the route's writes of a run's files (DynamoDB takes 100 operations)
READ_PAGE = 100


# -------------------------------------------------------------------- settings
def get_settings(org_id: str, consistent: bool = False) -> Settings:
    try:
        return read(SettingsItem.get, org_key(org_id), SETTINGS, consistent_read=consistent).entity()
    except DoesNotExist:
        return Settings(org_id=org_id)


def save_settings(after: Settings, before: Settings, event: DomainEvent) -> None:
    condition = SettingsItem.pk.does_not_exist() if before.version == 0 else SettingsItem.version == before.version
    Tx().put(SettingsItem.of(after), condition=condition, on_fail=stale("settings")).event(event).run()


# ------------------------------------------------------------------------- runs
def get_run(org_id: str, run_id: str, consistent: bool = False) -> Run | None:
    try:
        return read(RunItem.get, org_key(org_id), run_sort_key(run_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_runs(org_id: str, limit: int, cursor: str | None):
    return page(RunItem, org_key(org_id), run_sort_key(""), limit, cursor, newest_first=True)


def create_run(run: Run, files: list[RunFile], event: DomainEvent) -> None:
    """The files (in groups), then the run and its event in one transaction (the run makes them visible)."""
    for start in range(0, len(files), FILES_PER_TRANSACTION):
        tx = Tx()
        for f in files[start:start + FILES_PER_TRANSACTION]:
            # written before, unchanged (a retry of the same request after a partial write)
            tx.put(RunFileItem.of(f), condition=RunFileItem.pk.does_not_exist() | (RunFileItem.version == 1),
                   on_fail=Conflict(f"File {f.file_id} is in that run already."))
        tx.run()
    (Tx().put(RunItem.of(run), condition=RunItem.pk.does_not_exist(), on_fail=Conflict("That run exists."))
     .event(event).run())


def save_run(after: Run, before: Run, events: tuple[DomainEvent, ...] = (), *, not_cancelled: bool = False) -> None:
    """A run's change, conditional on the run as read (and, for the step past the grace window, on no
    cancellation having arrived since)."""
    condition = RunItem.version == before.version
    if not_cancelled:
        condition &= RunItem.cancel_requested_at.does_not_exist()
    tx = Tx().put(RunItem.of(after), condition=condition, on_fail=stale("run"))
    for e in events:
        tx.event(e)
    tx.run()


def stale_runs(cutoff: str) -> list[Run]:
    """Runs of every organisation that have not ended and have not changed since `cutoff`."""
    result = RunItem.gsi1.query(DESTRUCTION_RUNS, RunItem.gsi1sk < cutoff, page_size=READ_PAGE)
    return read(lambda: [i.entity() for i in result])


# ------------------------------------------------------------------- run files
def page_files(org_id: str, run_id: str, page_no: int, consistent: bool = True) -> list[RunFile]:
    """One page of a run's files (at most 25: one query)."""
    result = RunFileItem.query(run_key(org_id, run_id), RunFileItem.sk.startswith(page_prefix(page=page_no)),
                               consistent_read=consistent)
    return read(lambda: [i.entity(org_id=org_id, run_id=run_id) for i in result])


def all_files(org_id: str, run_id: str) -> Iterator[RunFile]:
    """Every file of a run, page after page of the table (never all in memory at once)."""
    cursor = None
    while True:
        files, cursor = list_files(org_id, run_id, READ_PAGE, cursor, consistent=True)
        yield from files
        if not cursor:
            return


def list_files(org_id: str, run_id: str, limit: int, cursor: str | None, consistent: bool = False):
    return page(RunFileItem, run_key(org_id, run_id), "FILE#", limit, cursor, consistent=consistent,
                convert=lambda item: item.entity(org_id=org_id, run_id=run_id))


def stage_run_file(tx: Tx, after: RunFile, before: RunFile) -> Tx:
    return tx.put(RunFileItem.of(after.with_changes(version=before.version + 1)),
                  condition=RunFileItem.version == before.version, on_fail=stale("run file"))


def save_files(changes: list[tuple[RunFile, RunFile]], events: list[DomainEvent] = (),
               views: list[tuple[FileView, FileView]] = (), register: list[RegisterEntry] = ()) -> None:
    """Files of one page changed together (with the read model's files they claim or release, the register
    lines of the destroyed and the events): all or nothing."""
    tx = Tx()
    for after, before in changes:
        stage_run_file(tx, after, before)
    for after, before in views:
        stage_file(tx, after, before)
    for entry in register:
        tx.put(RegisterItem.of(entry), condition=RegisterItem.pk.does_not_exist(),
               on_fail=Conflict("That register line exists."))
    for e in events:
        tx.event(e)
    if tx.size:
        tx.run()


# --------------------------------------------------------------------- register
def register_lines(org_id: str, since: str, until: str) -> Iterator[RegisterEntry]:
    """The register's lines destroyed from `since` to `until` (ISO instants or dates), oldest first."""
    start = None
    while True:
        result = RegisterItem.query(register_key(org_id), RegisterItem.sk.between(since, until + "~"),
                                    limit=READ_PAGE, last_evaluated_key=start)
        lines = read(lambda: [i.entity(org_id=org_id) for i in result])
        yield from lines
        start = result.last_evaluated_key
        if not start:
            return


def list_register(org_id: str, since: str, until: str, limit: int, cursor: str | None):
    return page(RegisterItem, register_key(org_id), "", limit, cursor,
                filter_condition=RegisterItem.destroyed_at.between(since, until + "~"),
                convert=lambda item: item.entity(org_id=org_id))
