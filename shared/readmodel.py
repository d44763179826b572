"""One way to apply a published event to one entity of a capability's read model, once.

The event's receipt (its id) is written in the same transaction as the entity it changes,
conditional on the entity as read (its version, or its absence): a duplicate delivery changes
nothing, and two events of one entity never lose one another's change (the loser reads and
applies again). Used by the read models that keep one entity per event (disposal's and
transfer's views of records' files, transfer's holds and organisations).
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from shared.problems import ServiceUnavailable

E = TypeVar("E")
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
