"""Who may do what with records, and what each caller sees (공개구분).

- Archivists and admins register and describe files and items; only archivists (records
  professionals, 기록물관리 전문요원) override retention, re-apply a rule and change access.
- Archivists, auditors and admins see everything of their organisation. Requesters and stack
  managers see what is open: a partly open record's closed fields are redacted, a closed
  record shows only what identifies it (its minimal form).
- `can_download(roles, file, item)`: a component's bytes leave only where its file and item are open
  to the caller.

Access rules: open names no grounds; partly open and closed name at least one ground (1..8,
Official Information Disclosure Act art. 9①); non-open records are re-reviewed every 5 years
and open 30 years after the end of their production year (1 January of year + 31) unless an
extension was recorded.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from shared.auth import Caller

from .model import FILE_REDACTABLE, ITEM_REDACTABLE, Access, Item, RecordFile

REGISTRARS = ("archivist", "admin")
PROFESSIONALS = ("archivist",)
FULL_VIEW = ("archivist", "auditor", "admin")
READERS = ("archivist", "auditor", "admin", "requester", "stack_manager")
REVIEW_YEARS = 5
OPEN_AFTER_YEARS = 30


def registrar_org(caller: Caller) -> str:
    """Archivists and admins file and describe records."""
    return caller.require_org(*REGISTRARS, holdings="records")


def professional_org(caller: Caller) -> str:
    """Retention overrides, re-applied rules and access changes are a records professional's."""
    return caller.require_org(*PROFESSIONALS, holdings="records")


def overseer_org(caller: Caller) -> str:
    """Those who see everything of their organisation (access reviews, unredacted records)."""
    return caller.require_org(*FULL_VIEW, holdings="records")


def reader_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="records")


def sees_all(roles: Iterable[str]) -> bool:
    return bool(set(roles) & set(FULL_VIEW))


# ------------------------------------------------------------------ checking
def access_errors(access: Access, redactable: tuple[str, ...], prefix: str = "access") -> list[dict[str, str]]:
    """Every inconsistency of an access classification, one error per field."""
    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    errors = []
    if access.is_open and access.grounds:
        errors.append({"field": at("grounds"), "message": "an open record names no grounds"})
    if not access.is_open and not access.grounds:
        errors.append({"field": at("grounds"), "message": f"a {access.classification} record names its grounds"})
    if access.closed_fields and access.classification != "partly_open":
        errors.append({"field": at("closed_fields"), "message": "only a partly open record closes fields"})
    unknown = [f for f in access.closed_fields if f not in redactable]
    if unknown:
        errors.append({"field": at("closed_fields"),
                       "message": f"cannot close {', '.join(unknown)} (closable: {', '.join(redactable)})"})
    if access.is_open and access.extended_until:
        errors.append({"field": at("extended_until"), "message": "an open record has no extension"})
    return errors


def with_review(access: Access, today: date) -> Access:
    """A non-open access gets its re-review date (5 years on) unless one is given; open has none."""
    if access.is_open:
        return Access("open")
    if access.review_on:
        return access
    return Access(access.classification, tuple(sorted(set(access.grounds))), access.closed_fields,
                  _years_on(today, REVIEW_YEARS).isoformat(), access.extended_until)


def next_review(today: date) -> str:
    return _years_on(today, REVIEW_YEARS).isoformat()


def opens_on(access: Access, production_year: int | None) -> str | None:
    """When the 30-year rule opens a non-public file: 1 January of production year + 31 (30 years after the
    end of the production year), or the recorded extension; None for open or unfinished files."""
    if access.is_open or production_year is None:
        return None
    if access.extended_until:
        return access.extended_until
    return date(production_year + OPEN_AFTER_YEARS + 1, 1, 1).isoformat()


def _years_on(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ------------------------------------------------------------------ seeing
def _redacted(public: dict[str, Any], access: Access, redactable: tuple[str, ...],
              minimal: tuple[str, ...]) -> dict[str, Any]:
    if access.classification == "open":
        return public
    if access.classification == "partly_open":
        shown = dict(public)
        for name in access.closed_fields:
            shown[name] = [] if isinstance(public.get(name), list) else None
        shown["redacted"] = sorted(access.closed_fields)
        return shown
    shown = {name: public.get(name) for name in minimal}
    shown["redacted"] = sorted(set(public) - set(minimal))
    return shown


FILE_MINIMAL = ("id", "reference", "class_code", "record_type", "status", "production_year", "access", "version")
ITEM_MINIMAL = ("id", "file_id", "registration_number", "access", "version")


def file_view(roles: Iterable[str], file: RecordFile) -> dict[str, Any]:
    """A file as the caller may see it."""
    public = file.public()
    return public if sees_all(roles) else _redacted(public, file.access, FILE_REDACTABLE, FILE_MINIMAL)


def item_view(roles: Iterable[str], file: RecordFile, item: Item) -> dict[str, Any]:
    """An item as the caller may see it: its own access, and nothing of it when its file is closed."""
    public = item.public()
    if sees_all(roles):
        return public
    access = item.access if file.access.classification != "closed" else Access("closed", (0,))
    return _redacted(public, access, ITEM_REDACTABLE, ITEM_MINIMAL)


def shows_boxes(roles: Iterable[str], file: RecordFile) -> bool:
    """Where a file's boxes are is shown to whoever may see more than the file's minimal form."""
    return sees_all(roles) or file.access.classification != "closed"


def can_download(caller_roles: Iterable[str], file: RecordFile, item: Item) -> bool:
    """Whether the caller may have a component's bytes: full-view roles always; others only when the file
    is not closed and the item is open."""
    if sees_all(caller_roles):
        return True
    return file.access.classification != "closed" and item.access.is_open
