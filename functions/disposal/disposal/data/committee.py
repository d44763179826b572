"""The appraisal committee (기록물평가심의회): named members and recorded meetings (keys: see tables.py)."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.model import Meeting, Member
from .tables import MeetingItem, MemberItem, meeting_sort_key, member_sort_key, org_key
from .tx import Tx, page, read


def get_member(org_id: str, member_id: str, consistent: bool = False) -> Member | None:
    try:
        return read(MemberItem.get, org_key(org_id), member_sort_key(member_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def add_member(member: Member, event: DomainEvent) -> None:
    (Tx().put(MemberItem.of(member), condition=MemberItem.pk.does_not_exist(), on_fail=Conflict("That member exists."))
     .event(event).run())


def save_member(after: Member, before: Member, event: DomainEvent) -> None:
    (Tx().put(MemberItem.of(after), condition=MemberItem.version == before.version, on_fail=stale("member"))
     .event(event).run())


def list_members(org_id: str, limit: int, cursor: str | None):
    return page(MemberItem, org_key(org_id), member_sort_key(""), limit, cursor)


def get_meeting(org_id: str, meeting_id: str, consistent: bool = False) -> Meeting | None:
    try:
        return read(MeetingItem.get, org_key(org_id), meeting_sort_key(meeting_id),
                    consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def add_meeting(meeting: Meeting, event: DomainEvent) -> None:
    (Tx().put(MeetingItem.of(meeting), condition=MeetingItem.pk.does_not_exist(),
              on_fail=Conflict("That meeting exists."))
     .event(event).run())


def list_meetings(org_id: str, limit: int, cursor: str | None):
    return page(MeetingItem, org_key(org_id), meeting_sort_key(""), limit, cursor)
