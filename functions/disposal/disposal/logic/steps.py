"""The three steps on each listed file, each an event in the file's history: the producing unit's opinion
(OpinionGiven), a records professional's review (ProfessionalReviewGiven), the committee's decision with
its votes (CommitteeDecided). A decision to defer brings the file back on its date; one to re-set retention
waits for records to apply the new period (the step that tells records is part of the destruction work,
not built yet); one to destroy clears the file for the destruction run (not built yet)."""
from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.problems import ValidationFailed

from ..data import committee as committee_store
from ..data import files as files_store
from ..data import holds as holds_store
from ..data import reviews as store
from ..domain import rules
from ..domain.access import professional_org, unit_org
from ..domain.model import Decision, FileReview, Opinion, ProfessionalReview, Vote
from .common import calendar_date, event, file_subject, list_subject, refuse_if


def _entry(org_id: str, list_id: str, file_id: str, expected_version: int) -> FileReview:
    require_found(store.get_list(org_id, list_id), "review list")
    entry = require_found(store.get_entry(org_id, list_id, file_id, consistent=True), "listed file")
    require_version(entry, expected_version, "listed file")
    return entry


def _save(caller: Caller, before: FileReview, after: FileReview, type_: str, payload: dict[str, Any],
          file=None) -> FileReview:
    after = after.with_changes(version=before.version + 1, updated_at=now_iso())
    store.save_entry(after, before, event(type_, [file_subject(after.org_id, after.file_id),
                                                  list_subject(after.org_id, after.list_id)],
                                          {"file_id": after.file_id, "list_id": after.list_id, **payload},
                                          caller.as_actor()), file)
    return after


def _period_and_date(body: dict[str, Any], choice: str, errors: list[dict[str, Any]], today: str) -> None:
    """reset_retention names a new retention; defer names a date after today; neither names what the other does."""
    if choice == "reset_retention" and not body.get("retention"):
        errors.append({"field": "retention", "message": "required to re-set retention"})
    if choice != "reset_retention" and body.get("retention"):
        errors.append({"field": "retention", "message": "only with reset_retention"})
    if choice == "defer":
        until = calendar_date(body.get("defer_until"), "defer_until", errors)
        if body.get("defer_until") is None:
            errors.append({"field": "defer_until", "message": "required to defer"})
        elif until is not None and until.isoformat() <= today:
            errors.append({"field": "defer_until", "message": "must be after today"})
    elif body.get("defer_until"):
        errors.append({"field": "defer_until", "message": "only with defer"})


def give_opinion(caller: Caller, list_id: str, file_id: str, body: dict[str, Any], expected_version: int):
    """Step 1: the producing unit's opinion, destroy or keep (with a reason)."""
    org_id = unit_org(caller)
    if body["opinion"] == "keep" and not body.get("reason"):
        raise ValidationFailed("reason: required to keep a file.",
                               errors=[{"field": "reason", "message": "required to keep a file"}])
    before = _entry(org_id, list_id, file_id, expected_version)
    opinion = Opinion(opinion=body["opinion"], reason=body.get("reason"), official=body["official"],
                      recorded_by=caller.user_id, recorded_at=now_iso())
    return _save(caller, before, rules.give_opinion(before, opinion), "OpinionGiven",
                 {"opinion": opinion.opinion, "reason": opinion.reason, "official": opinion.official})


def give_review(caller: Caller, list_id: str, file_id: str, body: dict[str, Any], expected_version: int):
    """Step 2: a records professional agrees with the opinion, or proposes to re-set retention or to defer."""
    org_id = professional_org(caller)
    errors: list[dict[str, Any]] = []
    _period_and_date(body, body["recommendation"], errors, clock.today().isoformat())
    refuse_if(errors)
    before = _entry(org_id, list_id, file_id, expected_version)
    review = ProfessionalReview(recommendation=body["recommendation"], retention=body.get("retention"),
                                defer_until=body.get("defer_until"), note=body.get("note"),
                                reviewed_by=caller.user_id, reviewed_at=now_iso())
    return _save(caller, before, rules.give_review(before, review), "ProfessionalReviewGiven",
                 {"recommendation": review.recommendation, "retention": review.retention,
                  "defer_until": review.defer_until, "note": review.note})


def record_decision(caller: Caller, list_id: str, file_id: str, body: dict[str, Any], expected_version: int):
    """Step 3: the committee's decision at a meeting, with every present member's vote kept; it needs a majority
    of the members present. A file a hold applies to is never decided for destruction."""
    org_id = professional_org(caller)
    errors: list[dict[str, Any]] = []
    _period_and_date(body, body["decision"], errors, clock.today().isoformat())
    meeting = committee_store.get_meeting(org_id, body["meeting_id"])
    votes = tuple(Vote(v["member_id"], v["vote"]) for v in body["votes"])
    if meeting is None:
        errors.append({"field": "meeting_id", "message": "no such meeting in your organisation"})
    else:
        errors += rules.majority(votes, meeting)
    refuse_if(errors)
    before = _entry(org_id, list_id, file_id, expected_version)
    file = files_store.get_file(org_id, file_id, consistent=True)
    held = bool(rules.holds_on(holds_store.active_holds(org_id), file_id, file))
    decision = Decision(meeting_id=meeting.id, decision=body["decision"], retention=body.get("retention"),
                        defer_until=body.get("defer_until"), votes=votes, recorded_by=caller.user_id,
                        recorded_at=now_iso())
    after = rules.decide(before, decision, meeting, held)
    file_change = None
    if file is not None and decision.decision != "destroy":
        # Deferred: the file leaves the list and comes back on its date. Re-set: it waits for records' new due date.
        changed = file.with_changes(listed_in=None, deferred_until=decision.defer_until,
                                    awaiting_reset=decision.retention)
        file_change = (changed, file)
    return _save(caller, before, after, "CommitteeDecided",
                 {"meeting_id": meeting.id, "decision": decision.decision, "retention": decision.retention,
                  "defer_until": decision.defer_until, "votes": [{"member_id": v.member_id, "vote": v.vote}
                                                                 for v in votes]}, file_change)
