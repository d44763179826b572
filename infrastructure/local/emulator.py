"""moto, made to cost per call what AWS charges per call: work it repeats on every request, undone.

Profiled under a bulk placement (py-spy, see bench/README.md "Event delivery"), the local
system's own process spent its time in moto doing work that grows with a queue's depth or
that never changes, while events waited:
- SQS: every message received looked the queue's retention period up through
  `get_queue_attributes`, which counts the queue's visible, delayed and in-flight messages
  each time — three walks of the whole queue per message, so draining a backlog of N
  messages cost O(N²). The retention period is read directly instead.
- SQS: every message sent built the queue's attributes to read one (ContentBasedDeduplication,
  which a standard queue does not have), counting its messages three times: an event put on the
  bus cost more the longer its target queues' backlogs, so the relay slowed exactly when the
  consumers fell behind (a 10,000-box run: relay batches of ~50 events taking 10–13 s).
- SQS: every deleted message was looked for by walking the whole queue twice and rebuilding its
  list outside the queue's lock (so a message sent at that moment could be dropped); it is now
  one walk under the lock that stops at the message, which is near the front (received first).
- SQS: every message received walked the whole queue to list its visible messages first; the walk
  now stops once it has found as many as were asked for.
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

- Every request looks its backends up (the service's, IAM's to mark the caller's account as
  seen) through `BackendDict[account_id]`, which takes moto's one global `backend_lock` even
  when the account's backend exists, and then compares the dict against every other service's
  to list it once. Profiled under a 1,500-box registration, a third of the server threads'
  time was spent waiting on that lock (a convoy: sixty threads, one GIL). A backend that exists
  and is listed is returned without the lock; creating one still takes it.
- moto's server (werkzeug's development server) closed the connection after every answer, so
  every call of every client opened a new TCP connection and the server started a new thread
  for it: a fifth of the server's time in the same profile went to connecting, accepting and
  closing. Connections are kept open between requests whose body has a known length (HTTP/1.1
  keep-alive, as AWS endpoints do), with Nagle's algorithm off (headers and body are separate
  writes); werkzeug's clean-up after an answer, which waited 10 ms on a new selector for more of
  the body, reads the unread rest of a body at once instead. The same 1,500-box run: the relay
  170 → 320 events/s, the registration's events applied 109 → 83 s, the catch-up after the last
  placement 85 → 40 s (bench/README.md).

Nothing here changes what an answer says. `install()` is called once at start, before the moto
server serves (tests pass pytest's `monkeypatch.setattr` to undo it afterwards).
"""
from __future__ import annotations

from datetime import datetime
import functools
import selectors
import threading
import time
from types import SimpleNamespace
from typing import Any, Callable

def install(set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    for patch in (_sqs, _events, _dispatch, _dynamodb_query, _json_answers, _backend_lookup, _keep_alive):
        patch(set_attr)


def _backend_lookup(set_attr) -> None:
    from moto.core.base_backend import BackendDict

    lookup = BackendDict.__getitem__

    def getitem(self, account_id: str):
        if self.__dict__.get("_emulator_listed"):  # created and listed under the lock before
            try:
                return dict.__getitem__(self, account_id)
            except KeyError:
                pass
        backend = lookup(self, account_id)  # creates it under the lock and lists the dict
        self._emulator_listed = True
        return backend

    set_attr(BackendDict, "__getitem__", getitem)


def _sqs(set_attr) -> None:
    from moto.sqs import models

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > time.time()

    set_attr(models.SQSBackend, "is_message_valid_based_on_retention_period",
             is_message_valid_based_on_retention_period)
    set_attr(models.Message, "visible", property(lambda self: time.time() * 1000 > self.visible_at))
    set_attr(models.Message, "delayed", property(lambda self: time.time() * 1000 < self.delayed_until))

    # SendMessage asks the queue's attributes for ContentBasedDeduplication, and building them counts the
    # visible, delayed and in-flight messages: three walks of the queue per message sent, so an event put
    # on the bus cost more the longer its target queues' backlogs were. A standard queue has no such
    # attribute (only FIFO queues list it), so while it takes a message the answer is known: none.
    send, attributes = models.SQSBackend.send_message, models.Queue.attributes.fget

    def send_message(self, queue_name: str, *args, **kwargs):
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            return send(self, queue_name, *args, **kwargs)
        _sending.queue = queue
        try:
            return send(self, queue_name, *args, **kwargs)
        finally:
            _sending.queue = None

    set_attr(models.SQSBackend, "send_message", send_message)
    set_attr(models.Queue, "attributes",
             property(lambda self: {} if getattr(_sending, "queue", None) is self else attributes(self)))

    # ReceiveMessage walks `queue.messages`, which built the list of every visible message (two property
    # calls per message) to take the first ten: each receive cost the whole backlog, so draining N
    # messages cost O(N²) (a 10,000-box run: four consumers 15,000 events behind, their pollers' receives
    # the largest share of the emulator's work). The visible messages are now yielded as the walk finds
    # them, so a receive stops at its tenth; counting them (ApproximateNumberOfMessages) still walks all.
    set_attr(models.Queue, "messages", property(_Visible))


    # DeleteMessage walked the whole queue twice and rebuilt its list outside the queue's lock: a cost per
    # delete growing with the backlog (the received messages it looks for are at the front), and a message
    # added between the walk and the swap was dropped. One walk under the lock, stopping at the message.
    def delete_message(self, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # deleted already: deleting again is fine
        with self._messages_lock:
            for position, message in enumerate(self._messages):
                if receipt_handle in message.all_receipt_handles:
                    del self._messages[position]
                    self.pending_messages.discard(message)
                    self.deleted_messages.update(message.all_receipt_handles)
                    return
        raise models.ReceiptHandleIsInvalid()

    set_attr(models.Queue, "delete_message", delete_message)


_sending = threading.local()  # the standard queue this thread is sending a message to


class _Visible:
    """A queue's visible messages that are not in their delay, in order, found as they are iterated."""

    def __init__(self, queue: Any) -> None:
        self._messages = queue._messages

    def __iter__(self):
        now_ms = time.time() * 1000
        for message in self._messages:  # the live list: a message sent meanwhile may be seen, as in SQS
            if now_ms > message.visible_at and not now_ms < message.delayed_until:
                yield message

    def __len__(self) -> int:
        return sum(1 for _ in self)


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


KEEP_ALIVE_IDLE_SECONDS = 120  # an idle kept connection is closed after this (its client reconnects)


class _Body:
    """A kept connection's request stream: it ends where the request's body ends (Content-Length), so
    neither the application nor werkzeug's clean-up after the answer reads into the next request."""

    def __init__(self, raw, length: int) -> None:
        self.raw, self.left = raw, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.raw.read(size) if size else b""
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.raw.readline(size) if size else b""
        self.left -= len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _Answered:
    """Stands for the socket in werkzeug's clean-up after an answer on a kept connection: the body's
    unread rest is read at once (or nothing is), with no selector made and no 10 ms wait per request."""


class _Selector:
    """werkzeug's selector: the real one for a socket, none for a kept connection's clean-up."""

    def __init__(self) -> None:
        self._real: selectors.BaseSelector | None = None
        self._answered = False

    def register(self, fileobj: Any, events: int, data: Any = None) -> Any:
        if isinstance(fileobj, _Answered):
            self._answered = True
            return None
        self._real = selectors.DefaultSelector()
        return self._real.register(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list:
        return [(None, selectors.EVENT_READ)] if self._answered else self._real.select(timeout)

    def close(self) -> None:
        if self._real is not None:
            self._real.close()


def _keep_alive(set_attr) -> None:
    from moto.moto_server import threaded_moto_server
    from werkzeug import serving

    base = threaded_moto_server.MotoRequestHandler

    class KeepAliveRequestHandler(base):  # type: ignore[misc, valid-type]
        timeout = KEEP_ALIVE_IDLE_SECONDS
        # Headers and body go out as separate writes: on a kept connection Nagle's algorithm would hold
        # the body until the client's delayed ACK of the headers (40 ms a request).
        disable_nagle_algorithm = True
        _keep = False

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length") or "0"
            self._keep = (self.request_version == "HTTP/1.1" and length.isdigit()
                          and "Transfer-Encoding" not in self.headers and "Expect" not in self.headers
                          and self.headers.get("Connection", "").lower() != "close")
            if not self._keep:
                return super().run_wsgi()  # werkzeug's way: the connection closes after the answer
            body = _Body(self.rfile, int(length))
            raw, connection, self.rfile, self.connection = self.rfile, self.connection, body, _Answered()
            try:
                super().run_wsgi()
            finally:
                self.rfile, self.connection = raw, connection
            if body.left and not self.close_connection:
                self.close_connection = True  # a body still unread: the next request cannot be found

        def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 — http.server's signature
            if not format.startswith("Request timed out"):  # an idle kept connection closing is no error
                super().log_error(format, *args)

        def send_header(self, keyword: str, value: str) -> None:
            if self._keep and keyword.lower() == "connection" and value.lower() == "close":
                return  # werkzeug closes every connection; this one's body is accounted for
            super().send_header(keyword, value)

    set_attr(threaded_moto_server, "MotoRequestHandler", KeepAliveRequestHandler)
    set_attr(serving, "selectors", SimpleNamespace(DefaultSelector=_Selector, EVENT_READ=selectors.EVENT_READ))
