"""Disposal's rules (no AWS here): which holds apply to a file, which files are due for appraisal, the order
of the three steps, and the committee's majority.

- A hold applies to a file it names, to every file of a class code it names and to every file of a producing
  unit it names, while it is active; the file need not be known yet for a hold naming it by id.
- Due (폐기 심의 대상): a closed file whose disposal date has come (records computes it: retention expired;
  준영구 at 70 years), whose action is `review` (or is 준영구, appraised at 70 years), not already in a list,
  not waiting for a re-set retention, and not deferred past today.
- Steps, per file: the producing unit's opinion → a records professional's review → the committee's
  decision. Each once, in that order. The producing unit never destroys on its own: only a committee
  decision `destroy` carried by a majority of the members present clears a file for destruction, and
  then only while no hold applies.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from .model import (DECISIONS, Decision, FileReview, FileView, Hold, Meeting, Opinion, ProfessionalReview,
                    Vote)
from .problems import FileHeld, NoMajority, StepOutOfOrder


# ---------------------------------------------------------------------- holds
def applies(hold: Hold, file_id: str, file: FileView | None) -> bool:
    """Whether an active hold's scope covers the file (a class or unit scope needs the file's description)."""
    if hold.status != "active":
        return False
    if file_id in hold.scope.files:
        return True
    if file is None:
        return False
    return (file.class_code is not None and file.class_code in hold.scope.class_codes) or \
        (file.producing_unit is not None and file.producing_unit in hold.scope.producing_units)


def holds_on(holds: Iterable[Hold], file_id: str, file: FileView | None) -> list[Hold]:
    """The holds that answer "why can't this file be destroyed?"."""
    return [h for h in holds if applies(h, file_id, file)]


def scope_errors(scope: dict[str, Any]) -> list[dict[str, str]]:
    if not any(scope.get(k) for k in ("files", "class_codes", "producing_units")):
        return [{"field": "scope", "message": "name at least one file, class code or producing unit"}]
    return []


# ------------------------------------------------------------------------ due
def appraised(file: FileView) -> bool:
    """Files whose retention ends in appraisal (not transfer): action review, and 준영구 at 70 years."""
    return file.action == "review" or file.retention == "semi_permanent"


def due_on(file: FileView) -> str | None:
    """The day the file comes up for appraisal, or None while it cannot (open, listed, awaiting a reset...)."""
    if file.status != "closed" or not file.disposal_due or not appraised(file):
        return None
    if file.listed_in or file.awaiting_reset:
        return None
    return max(file.disposal_due, file.deferred_until or "")


def is_due(file: FileView, today: date) -> bool:
    due = due_on(file)
    return due is not None and due <= today.isoformat()


def listable_error(file: FileView | None, held: bool) -> str | None:
    """Why a file cannot go into a review list by hand, or None."""
    if file is None or file.status is None:
        return "no such file in your organisation"
    if file.status != "closed":
        return f"the file is {file.status}; only closed files are appraised"
    if held:
        return "a hold applies to the file"
    if file.listed_in:
        return f"already in review list {file.listed_in}"
    return None


# ---------------------------------------------------------------------- steps
def _expect(entry: FileReview, stage: str, step: str) -> None:
    if entry.stage != stage:
        raise StepOutOfOrder(f"The file is {entry.stage.replace('_', ' ')}; {step} comes when it is "
                             f"{stage.replace('_', ' ')}.")


def give_opinion(entry: FileReview, opinion: Opinion) -> FileReview:
    _expect(entry, "awaiting_opinion", "the producing unit's opinion")
    return entry.with_changes(opinion=opinion)


def give_review(entry: FileReview, review: ProfessionalReview) -> FileReview:
    _expect(entry, "awaiting_review", "a records professional's review")
    return entry.with_changes(review=review)


def majority(votes: Iterable[Vote], meeting: Meeting) -> list[dict[str, str]]:
    """Errors of a vote (every one listed): voters must be present, once each; a majority of the members
    present (more than half, abstentions counting as not for) must vote for the decision."""
    errors: list[dict[str, str]] = []
    votes = list(votes)
    seen: set[str] = set()
    for i, vote in enumerate(votes):
        if vote.member_id not in meeting.present:
            errors.append({"field": f"votes.{i}.member_id", "message": "not present at the meeting"})
        if vote.member_id in seen:
            errors.append({"field": f"votes.{i}.member_id", "message": "voted twice"})
        seen.add(vote.member_id)
    return errors


def carried(votes: Iterable[Vote], meeting: Meeting) -> bool:
    in_favour = sum(1 for v in votes if v.vote == "for")
    return in_favour * 2 > len(meeting.present)


def decide(entry: FileReview, decision: Decision, meeting: Meeting, held: bool) -> FileReview:
    """Step 3. The vote must be valid and carried; a held file is never decided for destruction."""
    _expect(entry, "awaiting_decision", "the committee's decision")
    if decision.decision not in DECISIONS:
        raise ValueError(decision.decision)
    if not carried(decision.votes, meeting):
        raise NoMajority(f"{sum(1 for v in decision.votes if v.vote == 'for')} of {len(meeting.present)} members "
                         "present voted for; a decision needs more than half.",
                         errors=[{"field": "votes", "message": "no majority of the members present"}])
    if held and decision.decision == "destroy":
        raise FileHeld("A hold applies to the file; it cannot be decided for destruction.")
    return entry.with_changes(decision=decision)


def cleared_for_destruction(entry: FileReview, held: bool) -> bool:
    """Only all three steps, ending in a committee decision to destroy, clear a file; the producing unit's
    opinion alone (or with a professional's agreement) never does, nor does anything while a hold applies."""
    return (entry.opinion is not None and entry.review is not None and entry.decision is not None
            and entry.decision.decision == "destroy" and not held)
