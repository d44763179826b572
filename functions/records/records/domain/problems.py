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


PROBLEMS = (UnknownClass, FileStateConflict)
