"""Count AWS API calls by service and operation, whoever makes them.

PynamoDB builds clients on its own botocore session, boto3 and Powertools on the
default one; all of them end in `BaseClient._make_api_call` (once per logical call,
retries excluded), so wrapping that one method sees every call.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from botocore.client import BaseClient


class ApiCalls:
    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    def by_operation(self, service: str = "dynamodb") -> dict[str, int]:
        return {op: n for (svc, op), n in sorted(self.calls.items()) if svc == service}

    def total(self, service: str = "dynamodb") -> int:
        return sum(self.by_operation(service).values())

    def others(self, service: str = "dynamodb") -> dict[str, int]:
        return {f"{svc}.{op}": n for (svc, op), n in sorted(self.calls.items()) if svc != service}


_active: list[ApiCalls] = []
_original = BaseClient._make_api_call


def _counting_make_api_call(self, operation_name, api_params):
    for counter in _active:
        counter.calls[(self.meta.service_model.service_name, operation_name)] += 1
    return _original(self, operation_name, api_params)


@contextmanager
def counting() -> Iterator[ApiCalls]:
    """Count the calls made inside the block (nested blocks each see their own calls)."""
    counter = ApiCalls()
    if not _active:
        BaseClient._make_api_call = _counting_make_api_call
    _active.append(counter)
    try:
        yield counter
    finally:
        _active.remove(counter)
        if not _active:
            BaseClient._make_api_call = _original


def describe(ops: dict[str, int]) -> str:
    """"GetItem 2, TransactWriteItems 1" (or "-" when there were none)."""
    return ", ".join(f"{op} {n}" for op, n in ops.items()) or "-"
