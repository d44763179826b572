"""What every classification use case shares: its events and their subjects, and finding a
version (and a draft) of the caller's organisation."""
from __future__ import annotations

import re

from shared.auth import not_found, require_found
from shared.events import EventFactory, Subject

from ..data import schemes as scheme_store
from ..domain.model import Node, SchemeVersion

event = EventFactory("classification")
_NUMBER = re.compile(r"^[1-9][0-9]{0,5}$")


def scheme_subject(org_id: str) -> Subject:
    return Subject("classification_scheme", org_id, org_id)


def task_subject(org_id: str, task: Node) -> Subject:
    return Subject("unit_task", task.code, org_id)


def version_number(text: str) -> int:
    """A path's version number (1, 2, ...); anything else names no version (404)."""
    if not _NUMBER.match(text or ""):
        raise not_found("scheme version")
    return int(text)


def find_version(org_id: str, number_text: str, consistent: bool = False) -> SchemeVersion:
    return require_found(scheme_store.get_version(org_id, version_number(number_text), consistent), "scheme version")


def find_draft(org_id: str, number_text: str) -> SchemeVersion:
    """The version to edit: it must still be a draft (published ones never change: 409)."""
    version = find_version(org_id, number_text, consistent=True)
    if version.status != "draft":
        raise scheme_store.published(version.number)
    return version
