"""The appraisal committee (기록물평가심의회): its named members (staff users, or external experts with no
login) and its meetings (the date and the members present, who vote on that meeting's decisions)."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id

from ..data import committee as store
from ..domain.access import professional_org, reader_org
from ..domain.model import Meeting, Member
from .common import calendar_date, committee_subject, event, refuse_if


def add_member(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Member:
    org_id = professional_org(caller)
    errors: list[dict[str, Any]] = []
    if body["kind"] == "staff" and not body.get("user_id"):
        errors.append({"field": "user_id", "message": "a staff member names their user id"})
    if body["kind"] == "external" and body.get("user_id"):
        errors.append({"field": "user_id", "message": "an external expert has no login"})
    refuse_if(errors)
    member = Member(org_id=org_id, id=derived_id(f"member|{org_id}|{caller.user_id}", idempotency_key),
                    name=body["name"], kind=body["kind"], user_id=body.get("user_id"),
                    affiliation=body.get("affiliation"), active=True, created_by=caller.user_id, created_at=now_iso())
    store.add_member(member, event("CommitteeMemberAdded", [committee_subject(org_id, "committee_member", member.id)],
                                   member.public(), caller.as_actor()))
    return member


def update_member(caller: Caller, member_id: str, changes: dict[str, Any], expected_version: int) -> Member:
    """Rename, change affiliation, or end a membership (`active: false`); members are never deleted."""
    org_id = professional_org(caller)
    before = require_found(store.get_member(org_id, member_id, consistent=True), "committee member")
    require_version(before, expected_version, "committee member")
    after = before.with_changes(**changes, version=before.version + 1)
    store.save_member(after, before, event("CommitteeMemberUpdated",
                                           [committee_subject(org_id, "committee_member", member_id)],
                                           {"member_id": member_id, "changes": changes}, caller.as_actor()))
    return after


def get_member(caller: Caller, member_id: str) -> Member:
    return require_found(store.get_member(reader_org(caller), member_id), "committee member")


def list_members(caller: Caller, limit: int, cursor: str | None):
    return store.list_members(reader_org(caller), limit, cursor)


def record_meeting(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Meeting:
    """The members present must be active members of the organisation's committee; each bad one is named."""
    org_id = professional_org(caller)
    errors: list[dict[str, Any]] = []
    calendar_date(body["held_on"], "held_on", errors)
    present = tuple(dict.fromkeys(body["present"]))
    for i, member_id in enumerate(present):
        member = store.get_member(org_id, member_id)
        if member is None or not member.active:
            errors.append({"field": f"present.{i}", "message": f"{member_id}: not an active member"})
    refuse_if(errors)
    meeting = Meeting(org_id=org_id, id=derived_id(f"meeting|{org_id}|{caller.user_id}", idempotency_key),
                      held_on=body["held_on"], present=present, title=body.get("title"), created_by=caller.user_id,
                      created_at=now_iso())
    store.add_meeting(meeting, event("CommitteeMeetingRecorded",
                                     [committee_subject(org_id, "committee_meeting", meeting.id)],
                                     meeting.public(), caller.as_actor()))
    return meeting


def get_meeting(caller: Caller, meeting_id: str) -> Meeting:
    return require_found(store.get_meeting(reader_org(caller), meeting_id), "meeting")


def list_meetings(caller: Caller, limit: int, cursor: str | None):
    return store.list_meetings(reader_org(caller), limit, cursor)
