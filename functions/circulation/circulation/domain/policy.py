"""An organisation's circulation policy and the checks a request must pass.

Defaults follow practice: records kept 30 years or more leave the stacks only for approved
purposes (here: reading, conservation, digitisation, transfer — not exhibition, which should
show a copy), a request covers at most 30 days, each purpose goes to the places that serve
it, and nobody approves their own request. Each organisation may change these (GET/PUT
/circulation/policy).

Retention: the stacks publish each box's `retention` (보존기간) in its events; circulation's
read model keeps it. A box of unknown retention is treated as long-retention (the strict
reading), so missing data never opens a door; a requester's declared `retention` can only
make the rule stricter.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from shared.problems import ValidationFailed

from .model import DESTINATIONS, PURPOSES, RETENTION_YEARS, Party
from .problems import PolicyRefused

DEFAULT_DESTINATIONS: dict[str, tuple[str, ...]] = {
    "reading": ("reading_room",),
    "conservation": ("conservation_lab",),
    "exhibition": ("exhibition",),
    "digitisation": ("scanning_room",),
    "transfer": DESTINATIONS,  # preparing a transfer (이관) may happen in any work room
}


@dataclass(frozen=True)
class Policy:
    max_period_days: int = 30
    long_retention_years: int = 30
    long_retention_purposes: tuple[str, ...] = ("reading", "conservation", "digitisation", "transfer")
    destinations: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_DESTINATIONS))
    allow_self_approval: bool = False
    version: int = 0  # 0: the defaults, never stored
    updated_at: str | None = None
    updated_by: str | None = None

    def public(self) -> dict[str, Any]:
        return {"max_period_days": self.max_period_days, "long_retention_years": self.long_retention_years,
                "long_retention_purposes": list(self.long_retention_purposes),
                "destinations": {p: list(self.destinations.get(p, ())) for p in PURPOSES},
                "allow_self_approval": self.allow_self_approval, "version": self.version,
                "updated_at": self.updated_at, "updated_by": self.updated_by}

    def document(self) -> dict[str, Any]:
        """The editable part (what PUT takes)."""
        data = self.public()
        for key in ("version", "updated_at", "updated_by"):
            data.pop(key)
        return data

    @classmethod
    def from_document(cls, doc: dict[str, Any], **meta: Any) -> "Policy":
        return cls(max_period_days=int(doc["max_period_days"]), long_retention_years=int(doc["long_retention_years"]),
                   long_retention_purposes=tuple(doc["long_retention_purposes"]),
                   destinations={p: tuple(doc["destinations"].get(p, ())) for p in PURPOSES},
                   allow_self_approval=bool(doc["allow_self_approval"]), **meta)

    def with_changes(self, **changes: Any) -> "Policy":
        return replace(self, **changes)


def parse_day(text: str, field_name: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field_name}: not a date (YYYY-MM-DD).",
                               errors=[{"field": field_name, "message": "not a date (YYYY-MM-DD)"}]) from None


def check_period(start: str, until: str, today: date, policy: Policy) -> int:
    """Validate the requested period; return its length in days (both ends included)."""
    first, last = parse_day(start, "period.from"), parse_day(until, "period.until")
    if first < today:
        raise ValidationFailed("period.from: the period cannot start in the past.",
                               errors=[{"field": "period.from", "message": "in the past"}])
    if last < first:
        raise ValidationFailed("period.until: the period ends before it starts.",
                               errors=[{"field": "period.until", "message": "before period.from"}])
    days = (last - first).days + 1
    if days > policy.max_period_days:
        raise PolicyRefused(f"The period is {days} days; this organisation lends for at most "
                            f"{policy.max_period_days} days.", rule="max_period_days",
                            errors=[{"field": "period.until", "message": f"more than {policy.max_period_days} days"}])
    return days


def effective_retention(known: str | None, declared: str | None) -> float | None:
    """Years a box's records are kept, from the stacks (the box's `retention`); a requester's declaration can
    only make it longer. None (treated as long-retention) when the stacks do not know it."""
    if known not in RETENTION_YEARS:
        return None
    return max(RETENTION_YEARS[v] for v in (known, declared) if v in RETENTION_YEARS)


def is_long_retention(years: float | None, policy: Policy) -> bool:
    return years is None or years >= policy.long_retention_years


def check_purpose(purpose: str, destination_kind: str, retention_years: float | None, policy: Policy) -> None:
    if destination_kind not in policy.destinations.get(purpose, ()):
        allowed = ", ".join(policy.destinations.get(purpose, ())) or "none"
        raise PolicyRefused(f"Boxes taken out for {purpose} go to: {allowed}; not to {destination_kind}.",
                            rule="destination_for_purpose",
                            errors=[{"field": "destination.kind", "message": f"not a destination for {purpose}"}])
    if is_long_retention(retention_years, policy) and purpose not in policy.long_retention_purposes:
        kept = ("of unknown retention (treated as long-retention)" if retention_years is None
                else f"kept {'permanently' if retention_years == float('inf') else f'{retention_years:g} years'}")
        raise PolicyRefused(f"This box holds records {kept}; such boxes leave the stacks only for: "
                            f"{', '.join(policy.long_retention_purposes) or 'no purpose'}.",
                            rule="long_retention_purpose",
                            errors=[{"field": "purpose", "message": "not allowed for long-retention records"}])


def check_approver(approver: Party, requester: Party, policy: Policy) -> None:
    if approver.user_id == requester.user_id and not policy.allow_self_approval:
        raise PolicyRefused("A request cannot be approved by the person who made it.", rule="self_approval")


def check_document(doc: dict[str, Any]) -> None:
    """Cross-field rules the JSON Schema cannot say."""
    for purpose in doc["long_retention_purposes"]:
        if purpose not in PURPOSES:  # the schema's enum already refuses this; kept for direct callers
            raise ValidationFailed(f"Unknown purpose {purpose}.", errors=[{"field": "long_retention_purposes",
                                                                          "message": "unknown purpose"}])
    if not any(doc["destinations"].get(p) for p in PURPOSES):
        raise ValidationFailed("destinations: at least one purpose needs a destination.",
                               errors=[{"field": "destinations", "message": "no purpose has a destination"}])
