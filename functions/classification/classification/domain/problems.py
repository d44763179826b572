"""Classification's own refusals, each with a stable problem `type` (part of the API contract)."""
from __future__ import annotations

from shared.problems import Problem


class SheetRejected(Problem):
    """A scheme sheet (CSV import) with flaws: `errors[]` names every bad field of every row
    (`rows[N].<column>`); nothing was written."""

    slug = "scheme-sheet-rejected"
    title = "Scheme sheet rejected"
    status = 422


class VersionPublished(Problem):
    """A published scheme version never changes (nor does one being published)."""

    slug = "scheme-version-published"
    title = "Scheme version is published"
    status = 409


PROBLEMS = (SheetRejected, VersionPublished)
