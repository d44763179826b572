"""What every inventory use case shares: its events and their subjects, and dates from input."""
from __future__ import annotations

from datetime import date

from shared.events import EventFactory, Subject
from shared.problems import NotFound, ValidationFailed

from ..data import campaigns as campaigns_store
from ..domain.model import Campaign, Finding

event = EventFactory("inventory")


def campaign_subject(campaign: Campaign) -> Subject:
    return Subject("campaign", campaign.id, campaign.org_id)


def box_subjects(finding: Finding) -> list[Subject]:
    return [Subject("box", finding.box_id, finding.org_id)] if finding.box_id else []


def calendar_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field}: {value} is not a calendar date.",
                               errors=[{"field": field, "message": "not a calendar date"}]) from None


def require_repository(org_id: str, repository_id: str) -> None:
    """A repository stacks told us of (its events), in the caller's organisation; else 404 as for any unknown id."""
    if not campaigns_store.repository_known(org_id, repository_id):
        raise NotFound(f"No repository {repository_id} in your organisation (a new repository is known here "
                       "within seconds of its creation in the stacks).",
                       errors=[{"field": "repository_id", "message": "unknown repository"}])
