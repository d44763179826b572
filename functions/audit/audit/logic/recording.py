"""Recording: each domain event appended to the history (hash chain) of every entity it names."""
from __future__ import annotations

from typing import Any

from shared.problems import ValidationFailed
from shared.readmodel import append_to_chains
from shared.tasks import retrying

from ..data import history as store
from ..domain.chain import GENESIS, link

APPEND_ATTEMPTS = 5


CHAIN_EVENTS_PER_TX = 45  # an event is two writes (entry, receipt), the head one more: DynamoDB takes 100


def record_many(envelopes: list[dict[str, Any]]) -> list[int | Exception]:
    """A batch at once: per envelope, how many chains grew (0 on redelivery) or the Exception that kept it
    from being recorded (it comes again; receipts make a second try append nothing twice).

    The batch's events are grouped by chain in the order they came; each chain's head is read once (a
    BatchGetItem per 100 chains) and its events appended together, several chains to a transaction
    (shared.readmodel.append_to_chains). A transaction the table refuses (an event appended before, a
    head moved by another batch) is redone chain by chain, event by event, as `record` does."""
    outcomes: list[int | Exception] = [0] * len(envelopes)
    chains: dict[tuple[str | None, str], dict[str, Any]] = {}
    for index, envelope in enumerate(envelopes):
        subjects = envelope.get("subjects")
        if not envelope.get("id") or not isinstance(subjects, list) or not subjects or not all(
                isinstance(s, dict) and s.get("id") and s.get("kind") for s in subjects):
            outcomes[index] = ValidationFailed("Not a domain-event envelope: it needs an id and subjects.")
            continue
        for subject in subjects:
            chain = chains.setdefault((subject.get("org_id"), subject["id"]), {"kind": subject["kind"], "events": {}})
            chain["kind"] = subject["kind"]
            chain["events"].setdefault(envelope["id"], (index, envelope))  # twice in one batch: appended once
    for key, event_id in store.appended([(key, e) for key, chain in chains.items() for e in chain["events"]]):
        chains[key]["events"].pop(event_id)  # delivered again: nothing to append
    chains = {key: chain for key, chain in chains.items() if chain["events"]}
    counts = append_to_chains(
        {key: list(chain["events"].values()) for key, chain in chains.items()},
        store.heads(list(chains)) if chains else {}, tx=store.Tx,
        stage=lambda tx, key, head, part: store.stage_appends(tx, key[1], chains[key]["kind"], key[0], head, part),
        advance=_head_after, redo=lambda key, part: _one_by_one(key, chains[key]["kind"], part),
        per_tx=CHAIN_EVENTS_PER_TX)
    for index, count in counts.items():
        if not isinstance(outcomes[index], Exception):
            outcomes[index] = count
    return outcomes


def _one_by_one(key: tuple[str | None, str], kind: str, part: list[tuple[int, dict[str, Any]]]) -> dict[int, int]:
    """A part whose transaction was refused: appended together again after the head as it now is (another
    batch appended to the chain first), or, if one of its events was appended before, one by one."""
    if store.append_many(key[1], kind, key[0], [envelope for _, envelope in part]):
        return {index: 1 for index, _ in part}
    subject = {"id": key[1], "kind": kind, "org_id": key[0]}
    return {index: _append(subject, envelope) for index, envelope in part}


def _head_after(head: dict[str, Any] | None, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The head a chain will have once `events` are appended after `head` (what the next part starts from)."""
    seq = head["seq"] if head else 0
    digest = head["hash"] if head else GENESIS
    for event in events:
        seq += 1
        digest = link(digest, seq, event)
    return {"seq": seq, "hash": digest}


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
