"""Files (기록물철): filing under a unit task, describing, closing (retention and disposal due dates from
the rule the file carries), retention overrides and re-applied rules."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import DomainEvent, now_iso
from shared.idempotency import derived_id

from ..data import classes as classes_store
from ..data import files as store
from ..domain import access as access_rules
from ..domain import destruction as destruction_rules
from ..domain import lifecycle, retention
from ..domain.access import professional_org, reader_org, registrar_org
from ..domain.model import Access, RecordFile, Rule, UnitTask
from ..domain.problems import FileStateConflict, UnknownClass
from .common import calendar_date, event, refuse_if, subjects_of

DESCRIPTIVE = ("title", "producing_unit", "creator", "record_type", "electronic", "start_date", "end_date", "volume",
               "language", "keywords", "description")


# ---------------------------------------------------------------------- filing
ClassLookup = Callable[[str, str], tuple[int | None, UnitTask | None]]


def read_class(org_id: str, code: str) -> tuple[int | None, UnitTask | None]:
    """(the current usable scheme version, its unit task `code`) from records' own read model."""
    version = classes_store.current_version(org_id)
    return version, classes_store.unit_task(org_id, version, code) if version is not None else None


def current_class(org_id: str, code: str, today: date, errors: list[dict[str, Any]],
                  lookup: ClassLookup = read_class) -> UnitTask | None:
    """The unit task `code` of the organisation's current usable scheme version, valid today; a problem is
    added to `errors` otherwise."""
    field = "class_code"
    version, task = lookup(org_id, code)
    if task is None:
        message = ("no published classification scheme yet" if version is None
                   else f"no unit task {code} in scheme version {version}")
        errors.append({"field": field, "message": message})
        return None
    if (task.valid_from and task.valid_from > today.isoformat()) or (task.valid_to and task.valid_to < today.isoformat()):
        errors.append({"field": field, "message": f"unit task {code} is not valid on {today.isoformat()}"})
        return None
    return task


def access_from(body: dict[str, Any] | None, default: Access, today: date, errors: list[dict[str, Any]],
                redactable: tuple[str, ...], prefix: str = "access") -> Access:
    """The access classification a request gives (or the default), checked, with its review date."""
    if body is None:
        return access_rules.with_review(default, today)
    given = Access(classification=body["classification"], grounds=tuple(sorted(set(body.get("grounds") or ()))),
                   closed_fields=tuple(dict.fromkeys(body.get("closed_fields") or ())),
                   review_on=body.get("review_on"), extended_until=body.get("extended_until"))
    errors += access_rules.access_errors(given, redactable, prefix)
    for name in ("review_on", "extended_until"):
        field = f"{prefix}.{name}" if prefix else name
        day = calendar_date(body.get(name), field, errors)
        if day is not None and day <= today:
            errors.append({"field": field, "message": "must be after today"})
    return access_rules.with_review(given, today)


def _dates(body: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    start = calendar_date(body.get("start_date"), "start_date", errors)
    end = calendar_date(body.get("end_date"), "end_date", errors)
    if start and end and end < start:
        errors.append({"field": "end_date", "message": "before start_date"})


def new_file(org_id: str, actor: dict[str, Any], body: dict[str, Any], file_id: str,
             lookup: ClassLookup = read_class, job_id: str | None = None) -> tuple[RecordFile, list[DomainEvent]]:
    """A file filed under its class's current rule, and its FileCreated event (a bulk registration may give
    `closed_on`: then it is closed at once, with its FileClosed event); every bad field refused at once (an
    unknown class is a 422 naming `class_code`)."""
    today = clock.today()
    errors: list[dict[str, Any]] = []
    task = current_class(org_id, body["class_code"], today, errors, lookup)
    _dates(body, errors)
    closed_on = _closed_on(body, today, errors) if "closed_on" in body else None
    default = Access(task.rule.access, task.rule.grounds) if task else Access()
    access = access_from(body.get("access"), default, today, errors, access_rules.FILE_REDACTABLE)
    refuse_if(errors, UnknownClass if task is None else None)
    stamp = now_iso()
    file = RecordFile(
        org_id=org_id, id=file_id, class_code=task.code, class_title=task.title, scheme_version=task.scheme_version,
        rule_version=task.scheme_version, rule=task.rule, title=body["title"], producing_unit=body["producing_unit"],
        record_type=body["record_type"], electronic=body["electronic"], access=access,
        reference=body.get("reference"), creator=body.get("creator"), start_date=body.get("start_date"),
        end_date=body.get("end_date"), volume=body.get("volume", 1), language=body.get("language"),
        keywords=tuple(dict.fromkeys(body.get("keywords") or ())), description=body.get("description"),
        registered_by_job=job_id, created_by=actor["user_id"], created_at=stamp, updated_at=stamp)
    events = [event("FileCreated", subjects_of(file), {
        "file_id": file.id, "title": file.title, "producing_unit": file.producing_unit, "class_code": file.class_code,
        "scheme_version": file.scheme_version, "status": "open", "electronic": file.electronic,
        "record_type": file.record_type}, actor)]
    if closed_on is not None:
        changes, payload = closing(file, closed_on, file.rule, file.rule_version, file.class_title)
        file = file.with_changes(**changes)
        events += [event("FileClosed", subjects_of(file), {"file_id": file.id, **payload}, actor),
                   status_changed(file, "open", actor)]
    return file, events


def create_file(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> RecordFile:
    org_id = registrar_org(caller)
    file, events = new_file(org_id, caller.as_actor(), body,
                            derived_id(f"file|{org_id}|{caller.user_id}", idempotency_key))
    store.create_file(file, events)
    return file


# ----------------------------------------------------------------------- reads
def file_of(org_id: str, file_id: str, consistent: bool = False) -> RecordFile:
    return require_found(store.get_file(org_id, file_id, consistent), "file")


def get_file(caller: Caller, file_id: str) -> tuple[dict[str, Any], int]:
    """The file as the caller may see it, with the boxes it is in (not for a closed file's minimal form); and
    its version (the ETag)."""
    file = file_of(reader_org(caller), file_id)
    view = access_rules.file_view(caller.roles, file)
    shown = access_rules.shows_boxes(caller.roles, file)
    view["boxes"] = [b.public() for b in store.boxes_of(file.org_id, file.id)] if shown else []
    return view, file.version


def list_files(caller: Caller, limit: int, cursor: str | None, status: str | None = None,
               class_code: str | None = None):
    org_id = reader_org(caller)
    files, next_cursor = store.list_files(org_id, limit, cursor, status=status, class_code=class_code)
    return [access_rules.file_view(caller.roles, f) for f in files], next_cursor


# -------------------------------------------------------------------- changes
def _changed(caller: Caller, before: RecordFile, type_: str, payload: dict[str, Any], **changes: Any):
    after = before.with_changes(**changes, version=before.version + 1, updated_at=now_iso())
    return after, event(type_, subjects_of(after), {"file_id": after.id, **payload}, caller.as_actor())


def update_file(caller: Caller, file_id: str, changes: dict[str, Any], expected_version: int) -> RecordFile:
    """Descriptive metadata, while the file is still here (not transferred or destroyed)."""
    org_id = registrar_org(caller)
    before = file_of(org_id, file_id, consistent=True)
    require_version(before, expected_version, "file")
    destruction_rules.refuse_while_marked(before, "a change of its description")
    if not lifecycle.editable(before.status):
        raise FileStateConflict(f"A {before.status} file cannot be changed.")
    errors: list[dict[str, Any]] = []
    merged = {"start_date": before.start_date, "end_date": before.end_date, **changes}
    _dates(merged, errors)
    refuse_if(errors)
    fields = {k: (tuple(dict.fromkeys(v)) if k == "keywords" else v) for k, v in changes.items() if k in DESCRIPTIVE}
    after, updated = _changed(caller, before, "FileUpdated", {"changes": changes}, **fields)
    store.save_file(after, before, [updated])
    return after


def close_file(caller: Caller, file_id: str, body: dict[str, Any], expected_version: int) -> RecordFile:
    """open → closed: the production year is set and the due dates computed from the rule — the current
    usable version's rule for the class (records' own read model), else the rule copied at filing, or
    the archivist's override. No call leaves records."""
    org_id = registrar_org(caller)
    before = file_of(org_id, file_id, consistent=True)
    require_version(before, expected_version, "file")
    destruction_rules.refuse_while_marked(before, "closing it")
    if before.status != "open":
        raise FileStateConflict(f"The file is {before.status}; only an open file closes.")
    errors: list[dict[str, Any]] = []
    closed_on = _closed_on({**body, "start_date": before.start_date}, clock.today(), errors)
    refuse_if(errors)
    rule, rule_version, class_title = before.rule, before.rule_version, before.class_title
    version = classes_store.current_version(org_id)
    if version is not None and version > before.rule_version:
        task = classes_store.unit_task(org_id, version, before.class_code)
        if task is not None:  # files closing now take the rule in force; closed files keep theirs
            rule, rule_version, class_title = task.rule, version, task.title
    changes, payload = closing(before, closed_on, rule, rule_version, class_title)
    after, closed = _changed(caller, before, "FileClosed", payload, **changes)
    store.save_file(after, before, [closed, status_changed(after, before.status, caller.as_actor())])
    return after


def status_changed(file: RecordFile, previous: str, actor: dict[str, Any]) -> DomainEvent:
    """FileStatusChanged beside the event that says why (FileClosed...), for readers that follow status alone
    (stacks shows its boxes' files with their status)."""
    return event("FileStatusChanged", subjects_of(file), {"file_id": file.id, "status": file.status,
                                                           "previous": previous}, actor)


def _closed_on(body: dict[str, Any], today: date, errors: list[dict[str, Any]]) -> date:
    closed_on = calendar_date(body.get("closed_on"), "closed_on", errors) or today
    if closed_on > today:
        errors.append({"field": "closed_on", "message": "in the future"})
    if body.get("start_date") and closed_on.isoformat() < body["start_date"]:
        errors.append({"field": "closed_on", "message": "before the file's start_date"})
    return closed_on


def closing(file: RecordFile, closed_on: date, rule: Rule, rule_version: int,
            class_title: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """What closing sets on a file (under `rule`, unless an archivist overrode its retention), and the
    FileClosed payload."""
    kept = retention.schedule(closed_on, rule, file.retention if file.retention_overridden else None,
                              file.action if file.retention_overridden else None)
    changes = {"status": "closed", "closed_on": closed_on.isoformat(), "production_year": kept.production_year,
               "retention": kept.retention, "action": kept.action, "retention_starts_on": kept.retention_starts_on,
               "disposal_due": kept.disposal_due, "rule": rule, "rule_version": rule_version,
               "class_title": class_title}
    payload = {"closed_on": closed_on.isoformat(), "production_year": kept.production_year,
               "retention": kept.retention, "disposal_due": kept.disposal_due, "action": kept.action}
    return changes, payload


def override_retention(caller: Caller, file_id: str, body: dict[str, Any], expected_version: int) -> RecordFile:
    """A records professional sets another retention (and action) with a reason; a closed file's due dates
    follow at once, an open file's when it closes. The event keeps the reason in the file's history."""
    org_id = professional_org(caller)
    before = file_of(org_id, file_id, consistent=True)
    require_version(before, expected_version, "file")
    destruction_rules.refuse_while_marked(before, "a retention override")
    if before.status not in ("open", "closed"):
        raise FileStateConflict(f"A {before.status} file's retention is set by its disposal or transfer.")
    after, overridden = retention_overridden(before, body["retention"], body.get("action"), body["reason"],
                                             caller.as_actor())
    store.save_file(after, before, [overridden])
    return after


def retention_overridden(before: RecordFile, kept_retention: str, kept_action: str | None, reason: str,
                         actor: dict[str, Any], **more: Any) -> tuple[RecordFile, DomainEvent]:
    """The file with another retention (and action; the retention's default if none) and its due dates, and
    the RetentionOverridden event keeping the reason (and `more`) in the file's history."""
    kept_action = kept_action or retention.default_action(kept_retention)
    changes: dict[str, Any] = {"retention": kept_retention, "action": kept_action, "retention_overridden": True}
    if before.closed_on:
        kept = retention.schedule(date.fromisoformat(before.closed_on), before.rule, kept_retention, kept_action)
        changes |= {"retention_starts_on": kept.retention_starts_on, "disposal_due": kept.disposal_due}
    previous = {"retention": before.public()["retention"], "action": before.public()["action"],
                "disposal_due": before.disposal_due}
    after = before.with_changes(**changes, version=before.version + 1, updated_at=now_iso())
    return after, event("RetentionOverridden", subjects_of(after), {
        "file_id": after.id, "previous": previous, "retention": kept_retention, "action": kept_action,
        "disposal_due": changes.get("disposal_due"), "reason": reason, **more}, actor)


def reapply_rule(caller: Caller, file_id: str, body: dict[str, Any], expected_version: int) -> RecordFile:
    """A records professional applies a newer published version's rule for the file's class (the current one
    unless `scheme_version` names another usable one) to a closed file, with a reason; the due dates follow."""
    org_id = professional_org(caller)
    before = file_of(org_id, file_id, consistent=True)
    require_version(before, expected_version, "file")
    destruction_rules.refuse_while_marked(before, "re-applying a rule")
    if before.status != "closed":
        raise FileStateConflict("Only a closed file keeps its rule; an open one takes the current rule as it closes.")
    errors: list[dict[str, Any]] = []
    version = body.get("scheme_version") or classes_store.current_version(org_id)
    task = None
    if version is None or not classes_store.is_usable(org_id, version):
        errors.append({"field": "scheme_version", "message": "not a usable published version"})
    elif version <= before.rule_version:
        errors.append({"field": "scheme_version",
                       "message": f"the file already follows version {before.rule_version}; name a newer one"})
    else:
        task = classes_store.unit_task(org_id, version, before.class_code)
        if task is None:
            errors.append({"field": "scheme_version", "message": f"version {version} has no class {before.class_code}"})
    refuse_if(errors, UnknownClass)
    kept = retention.schedule(date.fromisoformat(before.closed_on), task.rule)
    previous = {"rule_version": before.rule_version, "retention": before.public()["retention"],
                "disposal_due": before.disposal_due}
    after, reapplied = _changed(
        caller, before, "RetentionRuleReapplied",
        {"previous": previous, "rule_version": version, "retention": kept.retention, "action": kept.action,
         "disposal_due": kept.disposal_due, "reason": body["reason"]},
        rule=task.rule, rule_version=version, class_title=task.title, retention=kept.retention, action=kept.action,
        retention_overridden=False, retention_starts_on=kept.retention_starts_on, disposal_due=kept.disposal_due)
    store.save_file(after, before, [reapplied])
    return after
