"""Records' own refusals, each with a stable problem `type` (part of the API contract)."""
from __future__ import annotations

from shared.problems import Problem


class UnknownClass(Problem):
    """The class (unit task) is not in the organisation's current usable scheme version, as records knows it
    from classification's events; `errors[]` names the field."""

    slug = "unknown-class"
    title = "Unknown class"
    status = 422


class FileStateConflict(Problem):
    """The file's status does not allow this (a closed file takes no items, an open one has no due date)."""

    slug = "file-state-conflict"
    title = "File state conflict"
    status = 409


class FileBeingDestroyed(FileStateConflict):
    """A destruction run holds the file (`being_destroyed`): nothing of it changes until the run destroys it or
    lets it go. The problem names the run (`run_id`)."""

    slug = "file-being-destroyed"
    title = "File being destroyed"
    status = 409


class ContentDestroyed(Problem):
    """The component's bytes were destroyed by a destruction run (named in `run_id`); its metadata, hash and
    history stay readable (the residual record)."""

    slug = "content-destroyed"
    title = "Content destroyed"
    status = 410


PROBLEMS = (UnknownClass, FileStateConflict, FileBeingDestroyed, ContentDestroyed)
