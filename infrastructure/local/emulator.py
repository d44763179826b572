"""moto, made to cost per call what AWS charges per call: work it repeats on every request, undone.

Profiled under a bulk placement (py-spy, see bench/README.md "Event delivery"), the local
system's own process spent its time in moto doing work that grows with a queue's depth or
that never changes, while events waited:
- SQS: every message received looked the queue's retention period up through
  `get_queue_attributes`, which counts the queue's visible, delayed and in-flight messages
  each time — three walks of the whole queue per message, so draining a backlog of N
  messages cost O(N²). The retention period is read directly instead.
- SQS: whether a message is visible or delayed was asked of a fresh timezone-aware datetime
  per message; epoch milliseconds from `time.time()` are the same figure for a fraction of
  the cost (every count and every receive walks the messages).
- EventBridge: each event delivered to a target compiled its JSONPath input paths anew
  (a parser generator run per event and target); the compiled paths are kept.
- DynamoDB: every Query sorted every item of the table (`Table.all_items`) and compared each
  one's key, under the lock every DynamoDB call takes locally (moto_atomic.py): a cost growing
  with the table, paid by every other call waiting on the lock. A base-table query now starts
  from its partition (looked up by key, as DynamoDB does); an index query from the items whose
  index key attributes equal the condition's (one pass, no sort). moto's own query then applies
  every condition, filter, order and page to those items as before.
- Every request found its backend by listing moto's package folder on disk, under a lock
  all requests share; the listing is made once.
- Every DynamoDB and DynamoDB Streams answer was serialized by moto's generic serializer, which
  walks the botocore output shape member by member and looks each value up under several
  aliases: about 4 ms per stream record and 0.3 ms per item, while holding the GIL the whole
  moto server shares. The profile of a bulk placement showed it as the largest single cost (40 %
  of the server's time: stream pollers reading 1,000 records, queries and batch reads). The
  data-plane answers (items, stream records) are plain JSON already; they are written with
  `json` directly, blobs base64-encoded and timestamps as epoch seconds as the serializer does
  (anything else falls back to it).

Nothing here changes what an answer says. `install()` is called once at start, before the moto
server serves (tests pass pytest's `monkeypatch.setattr` to undo it afterwards).
"""
from __future__ import annotations

from datetime import datetime
import functools
import threading
import time
from typing import Any, Callable

def install(set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    for patch in (_sqs, _events, _dispatch, _dynamodb_query, _json_answers):
        patch(set_attr)


def _sqs(set_attr) -> None:
    from moto.sqs import models

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > time.time()

    set_attr(models.SQSBackend, "is_message_valid_based_on_retention_period",
             is_message_valid_based_on_retention_period)
    set_attr(models.Message, "visible", property(lambda self: time.time() * 1000 > self.visible_at))
    set_attr(models.Message, "delayed", property(lambda self: time.time() * 1000 < self.delayed_until))


def _events(set_attr) -> None:
    import jsonpath_ng.ext

    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        # moto.events.utils imports it inside the call, from the module
        set_attr(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse))


def _dispatch(set_attr) -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    set_attr(backends, "list_of_moto_modules", lambda: modules)


_candidates = threading.local()  # the items one query in this thread may match


def _dynamodb_query(set_attr) -> None:
    from moto.dynamodb.models.table import Table

    all_items, query = Table.all_items, Table.query

    def items_of_this_query(self) -> list[Any]:
        override = getattr(_candidates, "items", None)
        return override[1] if override is not None and override[0] is self else all_items(self)

    def partition_query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        candidates = _partition(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if candidates is None:
            return query(self, hash_key, *args, **kwargs)
        _candidates.items = (self, candidates)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _candidates.items = None

    set_attr(Table, "all_items", items_of_this_query)
    set_attr(Table, "query", partition_query)


def _partition(table, hash_key, index_name: str | None, conditions) -> list[Any] | None:
    """The items a query can match, or None to let moto look at every item."""
    if not index_name:
        if hash_key is None:
            return None
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    if not conditions:
        return None
    wanted = [(name, value.type, value.value) for name, value in conditions]
    rows = (item for partition in table.items.values()
            for item in (partition.values() if table.range_key_attr else (partition,)))
    found = []
    for item in rows:
        for name, kind, value in wanted:
            attr = item.attrs.get(name)
            if attr is None or attr.type != kind or attr.value != value:
                break
        else:
            found.append(item)
    return found


# Operations whose answers are items, keys, counts and stream records: plain JSON for the fast path.
_PLAIN_ANSWERS = {
    "dynamodb": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                 "BatchWriteItem", "TransactGetItems", "TransactWriteItems"},
    "dynamodbstreams": {"GetRecords"},
}


class _NotPlain(Exception):
    """A value the fast path does not know how to write: the generic serializer does."""


def _json_answers(set_attr) -> None:
    from moto.core.serialize import BaseJSONSerializer

    generic = BaseJSONSerializer._serialize_result

    def serialize_result(self, resp, result):
        model = self.operation_model
        if model.name in _PLAIN_ANSWERS.get(model.service_model.service_name, ()) and isinstance(result, dict):
            try:
                plain = _plain(self, result)
            except _NotPlain:
                return generic(self, resp, result)
            return self._serialized_result_to_response(resp, result, model.output_shape, plain)
        return generic(self, resp, result)

    set_attr(BaseJSONSerializer, "_serialize_result", serialize_result)


def _plain(serializer, value: Any, key: str = "") -> Any:
    """`value` as the JSON serializer writes it: None members left out, blobs (`B`, `BS`) base64,
    datetimes as epoch seconds (millisecond precision)."""
    if isinstance(value, dict):
        return {k: _plain(serializer, v, k) for k, v in value.items() if v is not None}
    if key == "B" and isinstance(value, (bytes, str)):
        return serializer._base64(value)
    if key == "BS" and isinstance(value, list):
        return [serializer._base64(v) for v in value]
    if isinstance(value, list):
        return [_plain(serializer, v) for v in value]
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        from botocore.utils import parse_to_aware_datetime
        from moto.core.serialize import TimestampSerializer

        return TimestampSerializer._timestamp_unixtimestamp(parse_to_aware_datetime(value))
    raise _NotPlain(type(value).__name__)
