"""Disposal's own refusals, each with a stable problem `type` (part of the API contract)."""
from __future__ import annotations

from shared.problems import Problem


class StepOutOfOrder(Problem):
    """The three steps go in order, once each: the producing unit's opinion, a records professional's review,
    the committee's decision."""

    slug = "disposal-step-out-of-order"
    title = "Disposal step out of order"
    status = 409


class FileHeld(Problem):
    """A hold applies to the file: it cannot be listed for destruction or decided for destruction."""

    slug = "file-held"
    title = "File under hold"
    status = 409


class NoMajority(Problem):
    """The votes do not make a majority of the members present at the meeting."""

    slug = "no-majority"
    title = "No majority"
    status = 422


class FilesNotListable(Problem):
    """Some files cannot go into a review list (unknown, not closed, held or already in one); `errors[]`
    names each."""

    slug = "files-not-listable"
    title = "Files not listable"
    status = 422


class FilesNotDestroyable(Problem):
    """Some files cannot go into a destruction run (unknown, not decided for destruction, held, in another run
    or destroyed); `errors[]` names each."""

    slug = "files-not-destroyable"
    title = "Files not destroyable"
    status = 409


class RunNotCancellable(Problem):
    """The run is past its grace window (its irreversible step has begun) or has ended."""

    slug = "run-not-cancellable"
    title = "Destruction run not cancellable"
    status = 409


PROBLEMS = (StepOutOfOrder, FileHeld, NoMajority, FilesNotListable, FilesNotDestroyable, RunNotCancellable)
