"""One way to apply a published event to one entity of a capability's read model, once; and one way
to write a batch of such changes a few transactions at a time (`write_in_groups`).

The event's receipt (its id) is written in the same transaction as the entity it changes,
conditional on the entity as read (its version, or its absence): a duplicate delivery changes
nothing, and two events of one entity never lose one another's change (the loser reads and
applies again). Used by the read models that keep one entity per event (disposal's and
transfer's views of records' files, transfer's holds and organisations).
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence, TypeVar

from shared.problems import ServiceUnavailable

E = TypeVar("E")
K = TypeVar("K", bound=Hashable)
MAX_OPERATIONS = 100  # DynamoDB's limit for one TransactWriteItems
ATTEMPTS = 5


class _Seen(Exception):
    """The event was applied before."""


class _Moved(Exception):
    """The entity changed since it was read."""


def apply_once(tx: Callable[[], Any], receipt: Any, model: Any, load: Callable[[], E | None], blank: E,
               change: Callable[[E], E], *, what: str = "view") -> bool:
    """Apply `change` to the entity `load()` reads (or `blank`), with `receipt`, once; True if it changed.

    `model` is the entity's item class (`model.of(entity)`, a `version` attribute); `tx()` a new
    transaction of the capability's table."""
    for _ in range(ATTEMPTS):
        before = load()
        current = before if before is not None else blank
        after = change(current)
        write = tx().put(receipt, condition=type(receipt).pk.does_not_exist(), on_fail=_Seen())
        if after != current:
            condition = model.pk.does_not_exist() if before is None else model.version == before.version
            write.put(model.of(after.with_changes(version=current.version + 1)), condition=condition,
                      on_fail=_Moved())
        try:
            write.run()
        except _Seen:
            return False
        except _Moved:
            continue
        return after != current
    raise ServiceUnavailable(f"The {what} kept changing; the event is retried.")


def write_in_groups(entries: Sequence[tuple[K, Callable[[Any], None]]], tx: Callable[[], Any],
                    redo: Callable[[K], Any], max_operations: int = MAX_OPERATIONS) -> dict[K, Any]:
    """Write many keys' changes in as few transactions as fit: `entries` are (key, stage), where
    `stage(t)` adds one key's conditional writes to the transaction `t` (a key's writes always share
    one). A transaction the table refuses (a condition failed: the model moved since it was read) is
    redone key by key with `redo(key)`, the single-change path, so each key gets its own outcome:
    True if its group was written, else what `redo` answered or the exception it raised (that key's
    events come again). A batch of N keys costs about N / (100 / writes per key) transactions
    instead of N."""
    outcomes: dict[K, Any] = {}
    group: list[K] = []
    current = tx()

    def commit() -> None:
        nonlocal current
        if group:
            try:
                current.run()
                outcomes.update((key, True) for key in group)
            except Exception:  # noqa: BLE001 — redone one by one below, each with its own outcome
                for key in group:
                    try:
                        outcomes[key] = redo(key)
                    except Exception as exc:  # noqa: BLE001 — this key's events come again
                        outcomes[key] = exc
        group.clear()
        current = tx()

    for key, stage in entries:
        before = current.size
        stage(current)
        if current.size > max_operations and group:  # does not fit: the group so far, then this key anew
            current.truncate(before)
            commit()
            stage(current)
        group.append(key)
    commit()
    return outcomes


def append_to_chains(chains: dict[K, list[tuple[int, Any]]], heads: dict[K, Any], *, tx: Callable[[], Any],
                     stage: Callable[[Any, K, Any, list[Any]], None], advance: Callable[[Any, list[Any]], Any],
                     redo: Callable[[K, list[tuple[int, Any]]], dict[int, int]], per_tx: int) -> dict[int, Any]:
    """Append many items to many chains (a hash chain, a numbered feed), each chain's in order after its
    head as read, several chains to a transaction (`write_in_groups`).

    `chains`: key -> [(index of the message, item)]; `heads`: key -> head as read (absent: a new chain);
    `stage(t, key, head, items)` adds the items' writes and the head's move (conditional on `head`) to
    `t`; `advance(head, items)` is the head they leave; `redo(key, part)` appends a part one by one (the
    single path: reads the head anew), answering {index: count}. A chain longer than `per_tx` items goes
    in parts, part r of every chain in round r, so no transaction writes one head twice; a part after a
    redone one finds the head moved and is redone too. Answers, per message index, how many chains took
    it (1 for each written part, redo's count otherwise) or the exception that stopped one of them."""
    rounds: list[list[tuple[tuple[K, int], Callable[[Any], None]]]] = []
    for key, items in chains.items():
        head = heads.get(key)
        for number, start in enumerate(range(0, len(items), per_tx)):
            part = [item for _, item in items[start:start + per_tx]]

            def stage_part(t: Any, key: K = key, head: Any = head, part: list[Any] = part) -> None:
                stage(t, key, head, part)

            if number == len(rounds):
                rounds.append([])
            rounds[number].append(((key, start), stage_part))
            head = advance(head, part)
    counts: dict[int, Any] = {}
    for parts in rounds:
        written = write_in_groups(parts, tx, lambda k: redo(k[0], chains[k[0]][k[1]:k[1] + per_tx]))
        for (key, start), outcome in written.items():
            for index, _ in chains[key][start:start + per_tx]:
                if isinstance(counts.get(index), Exception):
                    continue
                if isinstance(outcome, Exception):
                    counts[index] = outcome
                else:
                    counts[index] = counts.get(index, 0) + (1 if outcome is True else outcome.get(index, 0))
    return counts
