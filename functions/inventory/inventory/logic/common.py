"""What every inventory use case shares: its events and their subjects, and dates from input."""
from __future__ import annotations

from datetime import date

from shared.events import EventFactory, Subject
from shared.problems import ValidationFailed

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
