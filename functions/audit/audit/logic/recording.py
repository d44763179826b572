"""Recording: each domain event appended to the history (hash chain) of every entity it names."""
from __future__ import annotations

from typing import Any

from shared.problems import ValidationFailed
from shared.tasks import retrying

from ..data import history as store

APPEND_ATTEMPTS = 5


def record(envelope: dict[str, Any]) -> int:
    """Append the event to each subject's chain; returns how many chains grew (0 on redelivery)."""
    subjects = envelope.get("subjects")
    if not envelope.get("id") or not isinstance(subjects, list) or not subjects:
        raise ValidationFailed("Not a domain-event envelope: it needs an id and subjects.")
    return sum(_append(subject, envelope) for subject in subjects)


def _append(subject: dict[str, Any], envelope: dict[str, Any]) -> int:
    def attempt() -> int:
        try:
            store.append(subject["id"], subject["kind"], subject.get("org_id"), envelope)
        except store.AlreadyAppended:
            return 0
        return 1

    # another event for this entity landed first: read the new head and append again
    return retrying(attempt, attempts=APPEND_ATTEMPTS, lost=(store.HeadMoved,),
                    contended=f"history of {subject['id']} kept moving; the message will be redelivered")
