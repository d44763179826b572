"""The records steps of the destruction saga (disposal's DestructionStateMachine), a page of at most 25 files
each, every one keyed by the run:

    mark_for_destruction    closed / under_review → being_destroyed (reversible)    RecordsTasksFunction
    unmark_for_destruction  back to prior_status (compensation; nothing to undo is fine)  RecordsTasksFunction
    destroy_files           every version of every component deleted for good, the file a residual record
                            (irreversible, last)                                     RecordsDestructionFunction

A refusal of one file is in the answer (`refused` / `skipped`, with a reason); a page that is not one
(no org, no run, more than 25 ids) fails the whole step (`InvalidTaskInput`). A file that keeps changing
under a step is retried there and then `StepContended` (transient: the saga retries the step).

destroy_files records, on each component, the run and every version id at its key before it deletes a
byte; then deletes every version and delete marker under the file's prefix (governance retention
bypassed: only this function's role may), marks each component destroyed (ComponentDestroyed), and
the file destroyed (FileStatusChanged, FileDestroyed). A retry after a crash anywhere in between reads
what was recorded and finishes: the answer (hashes, version counts) is the same. A step running out
of time stops between files and raises `DestructionContinues` (transient): the retry goes on where it
stopped.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

from shared.events import DomainEvent, now_iso, system_actor
from shared.observability import logger
from shared.problems import PreconditionFailed
from shared.tasks import InvalidTaskInput, TransientError, retrying

from ..data import destruction as store
from ..data import files as files_store
from ..domain import destruction as rules
from ..domain.components import Component
from ..domain.model import RecordFile
from .common import event, subjects_of
from .components import subjects as component_subjects

ATTEMPTS = 5


class DestructionContinues(TransientError):
    """The step used its time before the page was done; what it did is recorded and a retry continues."""


def _page(step: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(org id, run id, file ids without repeats) of a step's input, or InvalidTaskInput (fails the step)."""
    org_id, run_id, file_ids = step.get("org_id"), step.get("run_id"), step.get("file_ids")
    missing = [name for name, value in (("org_id", org_id), ("run_id", run_id)) if not isinstance(value, str) or
               not value]
    if not isinstance(file_ids, list) or not all(isinstance(f, str) and f for f in file_ids):
        missing.append("file_ids (a list of file ids)")
    if missing:
        raise InvalidTaskInput(f"{step.get('step')} needs {', '.join(missing)}")
    unique = list(dict.fromkeys(file_ids))
    if len(unique) > rules.PAGE:
        raise InvalidTaskInput(f"{step.get('step')} takes at most {rules.PAGE} files; {len(unique)} were given")
    return org_id, run_id, unique


def _actor(org_id: str, run_id: str, step: dict[str, Any], **more: Any) -> dict[str, Any]:
    return system_actor(org_id, saga="destruction", run_id=run_id, execution_id=step.get("execution_id"), **more)


def _status_changed(file: RecordFile, previous: str, run_id: str, actor: dict[str, Any]) -> DomainEvent:
    return event("FileStatusChanged", subjects_of(file), {"file_id": file.id, "status": file.status,
                                                          "previous": previous, "run_id": run_id}, actor)


def _change_file(org_id: str, file_id: str, decide: Callable[[RecordFile | None], Any], contended: str,
                 read: RecordFile | None = None) -> Any:
    """Read the file (or take the one just `read`), decide, write conditionally; a lost race reads and
    decides again (then StepContended)."""
    known = [read] if read is not None else []

    def attempt() -> Any:
        return decide(known.pop() if known else files_store.get_file(org_id, file_id, consistent=True))
    return retrying(attempt, attempts=ATTEMPTS, lost=(PreconditionFailed,), contended=contended)


def _move(file: RecordFile, changes: dict[str, Any], run_id: str, actor: dict[str, Any],
          extra_events: Callable[[RecordFile], list[DomainEvent]] = lambda f: []) -> RecordFile:
    after = file.with_changes(**changes, version=file.version + 1, updated_at=now_iso())
    files_store.save_file(after, file, [_status_changed(after, file.status, run_id, actor), *extra_events(after)])
    return after


# ----------------------------------------------------------------------- mark
def mark_for_destruction(step: dict[str, Any]) -> dict[str, Any]:
    org_id, run_id, file_ids = _page(step)
    actor = _actor(org_id, run_id, step)
    marked: list[str] = []
    refused: list[dict[str, str]] = []
    for file_id in file_ids:
        def decide(file: RecordFile | None) -> str | None:
            reason = rules.mark_refusal(file, run_id)
            if reason is None and not rules.already_marked(file, run_id):
                _move(file, rules.marked(file, run_id), run_id, actor)
            return reason
        reason = _change_file(org_id, file_id, decide, f"File {file_id} kept changing; it was not marked.")
        if reason is None:
            marked.append(file_id)
        else:
            refused.append({"file_id": file_id, "reason": reason})
    return {"marked": marked, "refused": refused}


def unmark_for_destruction(step: dict[str, Any]) -> dict[str, Any]:
    org_id, run_id, file_ids = _page(step)
    actor = _actor(org_id, run_id, step)
    unmarked: list[str] = []
    for file_id in file_ids:
        def decide(file: RecordFile | None) -> bool:
            if file is None:
                return False
            if rules.already_marked(file, run_id):
                _move(file, rules.unmarked(file), run_id, actor)
                return True
            return rules.released_by(file, run_id)
        if _change_file(org_id, file_id, decide, f"File {file_id} kept changing; it was not let go."):
            unmarked.append(file_id)
    return {"unmarked": unmarked}


# -------------------------------------------------------------------- destroy
def _deadline() -> float:
    return time.monotonic() + float(os.environ.get("DESTROY_MAX_SECONDS") or 240)


def destroy_files(step: dict[str, Any]) -> dict[str, Any]:
    org_id, run_id, file_ids = _page(step)
    executed_by, supervisor = step.get("executed_by"), step.get("supervisor")
    if not isinstance(supervisor, dict) or not supervisor.get("name"):
        raise InvalidTaskInput("destroy_files needs supervisor {name, title?} (the supervising official)")
    actor = _actor(org_id, run_id, step, executed_by=executed_by, supervisor=supervisor)
    deadline = _deadline()
    destroyed: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for file_id in file_ids:
        if time.monotonic() > deadline:
            raise DestructionContinues(f"Run {run_id}: time ran out before file {file_id}; a retry continues.")
        file = files_store.get_file(org_id, file_id, consistent=True)
        reason = rules.destroy_skip(file, run_id)
        if reason is not None:
            skipped.append({"file_id": file_id, "reason": reason})
            continue
        components = _destroy_content(file, run_id, actor)
        if file.status != rules.DESTROYED:
            _finish_file(file, components, run_id, actor, executed_by, supervisor)
        destroyed.append({"file_id": file.id, "title": file.title,
                          "components": [rules.component_entry(c) for c in components]})
    return {"destroyed": destroyed, "skipped": skipped}


def _destroy_content(file: RecordFile, run_id: str, actor: dict[str, Any]) -> list[Component]:
    """Plan (record versions), delete every version under the file's prefix, mark components destroyed.
    Each part is done again or skipped on a retry, as what is recorded says."""
    components = store.components_of(file.org_id, file.id)
    found = store.versions_under(store.file_prefix(file.org_id, file.id))
    # 1. Before a byte goes: the run and every version id on each component not planned yet.
    plans = [(c.with_changes(**rules.planned(run_id, found.get(c.object_key, [])), version=c.version + 1,
                             updated_at=now_iso()), c)
             for c in components if c.destruction_run_id != run_id]
    store.save_plans(plans)
    components = [after for after, _ in plans] + [c for c in components if c.destruction_run_id == run_id]
    # 2. Every version and delete marker under the prefix (also what a retry's listing finds again, and
    #    the objects of uploads never captured), and any recorded version still named.
    doomed = {(key, v) for key, versions in found.items() for v in versions}
    doomed |= {(c.object_key, v) for c in components if not c.destroyed for v in c.destruction_versions}
    store.delete_versions(sorted(doomed))
    # 3. Each component destroyed, with its event.
    stamp = now_iso()
    finished = [(c.with_changes(**rules.destroyed(stamp), version=c.version + 1, updated_at=stamp), c)
                for c in components if not c.destroyed]
    store.save_destroyed(finished, [_component_destroyed(after, run_id, actor) for after, _ in finished])
    done = {after.id: after for after, _ in finished}
    return sorted((done.get(c.id, c) for c in components), key=lambda c: (c.item_id, c.id))


def _component_destroyed(c: Component, run_id: str, actor: dict[str, Any]) -> DomainEvent:
    return event("ComponentDestroyed", component_subjects(c.org_id, c.file_id, c.item_id, c.id),
                 {"file_id": c.file_id, "item_id": c.item_id, "component_id": c.id, "sha256": c.sha256,
                  "size": c.size, "run_id": run_id, "versions_deleted": len(c.destruction_versions)}, actor)


def _finish_file(file: RecordFile, components: list[Component], run_id: str, actor: dict[str, Any],
                 executed_by: Any, supervisor: dict[str, Any]) -> None:
    """being_destroyed → destroyed: a residual record (metadata and history), with FileDestroyed."""
    def fact(after: RecordFile) -> list[DomainEvent]:
        return [event("FileDestroyed", subjects_of(after), {
            "file_id": after.id, "run_id": run_id, "executed_by": executed_by, "supervisor": supervisor,
            "components": [{"component_id": c.id, "sha256": c.sha256} for c in components]}, actor)]

    def decide(current: RecordFile | None) -> None:
        if current is None or current.status == rules.DESTROYED:
            return
        _move(current, {**rules.destroyed(now_iso()), "prior_status": None}, run_id, actor, fact)
    _change_file(file.org_id, file.id, decide, f"File {file.id} kept changing; it was not recorded destroyed.",
                 read=file)
    logger.info("file destroyed", extra={"file_id": file.id, "run_id": run_id, "components": len(components)})
