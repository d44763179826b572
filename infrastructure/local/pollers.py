"""Event source mappings: DynamoDB streams and SQS queues feeding their functions.

As Lambda's own pollers do: stream records pass the source's FilterCriteria, go in
batches of at most BatchSize, are retried on failure (from the first failed record
with ReportBatchItemFailures, halving the batch with BisectBatchOnFunctionError) up
to MaximumRetryAttempts, then described to the OnFailure destination. Queue messages
are deleted when handled (QUEUE_BATCHES batches of a queue in flight at once, as an SQS
event source runs several; a stream's shard is read one batch at a time, as in AWS); a queue's
batch gathers up to BatchSize messages (SQS hands out at most 10 per receive) for as long as its
MaximumBatchingWindowInSeconds, as Lambda's poller does, so a consumer that applies a batch at
once sees batches of that size under load;
failed ones are made visible again after a second (not the queue's VisibilityTimeout,
so retries and the redrive to a dead-letter queue happen in seconds locally).

Stream pollers read from the start of their stream (TRIM_HORIZON): restoring the data folder
writes every item again, so outbox items not yet relayed when the system stopped are published
now. They read ahead of delivery, so the records not yet handled (their backlog) and the age of
the oldest are known at any time: health reports them (`backlog()`), as IteratorAge does in AWS.

An event source can be switched off and on while the system runs (`enabled`), as
UpdateEventSourceMapping's `Enabled` does: its records or messages wait meanwhile.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone
import json
import logging
import threading
import time
from typing import Any
import uuid

from .aws import client, queue_url
from .patterns import matches
from .template import REGION, QueueSource, StreamSource
from .workers import Invocation, Workers, WorkerUnavailable

log = logging.getLogger("local.pollers")
STREAM_IDLE_SECONDS = 0.25
QUEUE_WAIT_SECONDS = 1
RETRY_VISIBILITY_SECONDS = 1
BATCH_GATHER_PAUSE_SECONDS = 0.1  # between receives while a batching window is open and the queue is empty
PARK_TIMEOUT_SECONDS = 60  # a batch in flight may take up to its function's timeout
# Batches of one queue in flight at once, as an SQS event source runs several (MaximumConcurrency is at
# least 2; Lambda starts with 5); never more than the function's environments.
QUEUE_BATCHES = 2
_SQS_RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                          "SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader",
                          "DeadLetterQueueSourceArn")


def _json_bytes(value: Any) -> str:
    """Binary attribute values travel base64-encoded in Lambda events."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _invoke(workers: Workers, function: str, records: list[dict[str, Any]]) -> Invocation | None:
    try:
        invocation = workers.get(function).invoke(json.dumps({"Records": records}, default=_json_bytes).encode())
    except WorkerUnavailable as exc:
        log.error("%s", exc)
        return None
    if invocation.error:
        log.warning("%s failed on a batch of %d: %s", function, len(records),
                    invocation.payload.decode(errors="replace")[:500])
    return invocation


def _failed_ids(invocation: Invocation | None, report_failures: bool, ids: list[str]) -> list[str]:
    """Which records failed; a malformed report fails the whole batch, as in AWS."""
    if invocation is None or invocation.error:
        return ids
    if not report_failures:
        return []
    result = invocation.result()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return []
    try:
        failed = [str(f["itemIdentifier"]) for f in failures]
    except (KeyError, TypeError):
        return ids
    return failed if set(failed) <= set(ids) else ids


class EventSource(threading.Thread):
    """A poller that can be paused (UpdateEventSourceMapping Enabled=false) and resumed."""

    def __init__(self, name: str, stop: threading.Event) -> None:
        super().__init__(daemon=True, name=name)
        self.stop = stop
        self._enabled = threading.Event()
        self._enabled.set()
        self._parked = threading.Event()  # switched off and no batch in flight
        self._loops = 1  # polling loops of this source that are not parked
        self._loops_lock = threading.Lock()

    @property
    def key(self) -> str:
        return self.name.split("-", 1)[1]  # <function>.<event id>

    @property
    def enabled(self) -> bool:
        return self._enabled.is_set()

    def set_enabled(self, enabled: bool, timeout: float = PARK_TIMEOUT_SECONDS) -> bool:
        """Switch on or off; switching off returns once a batch in flight is done (False if not in time)."""
        if enabled:
            self._parked.clear()  # before the loops can see it: a pause right after waits for them again
            self._enabled.set()
            return True
        self._enabled.clear()
        return self._parked.wait(timeout) if self.is_alive() else True

    def _wait_enabled(self) -> bool:
        """Wait while switched off (parked once every loop is); False once the system stops."""
        if self._enabled.is_set():
            return not self.stop.is_set()
        with self._loops_lock:
            self._loops -= 1
        while not self._enabled.is_set():
            with self._loops_lock:
                if self._loops == 0:
                    self._parked.set()
            if self.stop.wait(STREAM_IDLE_SECONDS):
                return False
        with self._loops_lock:
            self._loops += 1
        return not self.stop.is_set()


class StreamPoller(EventSource):
    def __init__(self, source: StreamSource, workers: Workers, stop: threading.Event) -> None:
        super().__init__(f"stream-{source.function}.{source.event_id}", stop)
        self.source = source
        self.workers = workers
        streams = client("dynamodbstreams")
        # moto keeps one shard per stream.
        shard = streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self._shard = shard
        # From the start: restored items come back as INSERTs, so outbox items that were not yet
        # relayed when the system stopped are published now. Delivery is at-least-once;
        # consumers deduplicate by event id (the audit trail does).
        self._iterator = streams.get_shard_iterator(StreamArn=source.stream_arn, ShardId=shard,
                                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self._pending: list[dict[str, Any]] = []  # read, passed the filter, not yet handled
        self._lock = threading.Lock()

    def backlog(self) -> dict[str, Any]:
        """Records read from the stream (as of the last read, at most STREAM_IDLE_SECONDS ago) that
        passed the filter and are not yet handled, and the age of the oldest (IteratorAge)."""
        with self._lock:
            waiting, oldest = len(self._pending), (self._pending[0] if self._pending else None)
        created = oldest["dynamodb"].get("ApproximateCreationDateTime") if oldest else None
        return {"function": self.source.function, "event_source": self.key, "enabled": self.enabled,
                "waiting": waiting,
                "oldest_age_s": round(max(0.0, time.time() - created), 1) if created is not None else None}

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                fresh = self._fetch()  # read ahead, even while paused: the backlog is known, not only the next batch
                enabled = self.enabled
                with self._lock:
                    self._pending.extend(fresh)
                    batch = self._pending[:self.source.batch_size] if enabled else []
                if not enabled:
                    self._parked.set()
                if not batch:
                    self.stop.wait(STREAM_IDLE_SECONDS)
                    continue
                done = self._deliver(batch)
                with self._lock:
                    del self._pending[:done]
            except Exception:  # noqa: BLE001 — the poller outlives any one failure, as Lambda's does
                if not self.stop.is_set():
                    log.exception("stream poller %s", self.name)
                    self.stop.wait(1)

    def _fetch(self) -> list[dict[str, Any]]:
        response = client("dynamodbstreams").get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = response["NextShardIterator"]
        records = [self._record(raw) for raw in response["Records"]]
        return [r for r in records if not self.source.filters or any(matches(p, r) for p in self.source.filters)]

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        dynamodb = dict(raw["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {"eventID": raw["eventID"], "eventName": raw["eventName"], "eventVersion": raw.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb", "awsRegion": raw.get("awsRegion", REGION), "dynamodb": dynamodb,
                "eventSourceARN": self.source.stream_arn}

    def _deliver(self, batch: list[dict[str, Any]]) -> int:
        """Deliver the head of the pending records; return how many are done with."""
        size, attempts = len(batch), 0
        while not self.stop.is_set():
            chunk = batch[:size]
            sequence = [r["dynamodb"]["SequenceNumber"] for r in chunk]
            failed = _failed_ids(_invoke(self.workers, self.source.function, chunk), self.source.report_failures,
                                 sequence)
            first_failed = min((sequence.index(f) for f in failed), default=len(chunk))
            if first_failed > 0:
                return first_failed  # checkpoint past what succeeded; the rest is a new batch
            attempts += 1
            if 0 <= self.source.max_retries < attempts:
                self._give_up(chunk, attempts)
                return len(chunk)
            if self.source.bisect and size > 1:
                size //= 2
            self.stop.wait(min(0.1 * 2 ** attempts, 2.0))
        return 0

    def _give_up(self, chunk: list[dict[str, Any]], attempts: int) -> None:
        log.error("%s: %d stream records failed %d times; sending them to %s", self.source.function, len(chunk),
                  attempts, self.source.on_failure or "nowhere (no OnFailure destination)")
        if not self.source.on_failure:
            return
        if ":sqs:" not in self.source.on_failure:
            log.warning("OnFailure destination %s is not emulated (only SQS is)", self.source.on_failure)
            return
        first, last = chunk[0]["dynamodb"], chunk[-1]["dynamodb"]
        record = {
            "requestContext": {"requestId": str(uuid.uuid4()),
                               "functionArn": self.workers.get(self.source.function).arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0", "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "DDBStreamBatchInfo": {
                "shardId": self._shard, "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(chunk), "streamArn": self.source.stream_arn,
            },
        }
        client("sqs").send_message(QueueUrl=queue_url(self.source.on_failure), MessageBody=json.dumps(record))


class QueuePoller(EventSource):
    def __init__(self, source: QueueSource, workers: Workers, stop: threading.Event) -> None:
        super().__init__(f"queue-{source.function}.{source.event_id}", stop)
        self.source = source
        self.workers = workers
        self.url = queue_url(source.queue_arn)
        worker = workers.get(source.function)
        self._loops = self.batches = max(1, min(QUEUE_BATCHES, worker.limit if worker else 1))

    def run(self) -> None:
        for number in range(1, self.batches):
            threading.Thread(target=self._poll, daemon=True, name=f"{self.name}#{number}").start()
        self._poll()

    def _poll(self) -> None:
        sqs = client("sqs")
        while self._wait_enabled():
            try:
                messages = self._receive(sqs)
                if messages:
                    self._deliver(messages)
            except Exception:  # noqa: BLE001 — the poller outlives any one failure, as Lambda's does
                if not self.stop.is_set():
                    log.exception("queue poller %s", self.name)
                    self.stop.wait(1)

    def _receive(self, sqs) -> list[dict[str, Any]]:
        """One batch: the first receive waits for messages; with a batching window, more are gathered
        until the batch is full or the window has passed since the first arrived."""
        def receive(count: int, wait: int) -> list[dict[str, Any]]:
            return sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=min(count, 10), WaitTimeSeconds=wait,
                                       AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])

        messages = receive(self.source.batch_size, QUEUE_WAIT_SECONDS)
        deadline = time.monotonic() + self.source.batching_window_s
        while messages and len(messages) < self.source.batch_size and time.monotonic() < deadline:
            more = receive(self.source.batch_size - len(messages), 0)
            if more:
                messages += more
            elif self.stop.wait(min(BATCH_GATHER_PAUSE_SECONDS, max(0.0, deadline - time.monotonic()))):
                break
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [self._record(m) for m in messages]
        ids = [m["MessageId"] for m in messages]
        failed = set(_failed_ids(_invoke(self.workers, self.source.function, records), self.source.report_failures,
                                 ids))
        sqs = client("sqs")
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                if m["MessageId"] not in failed]
        retry = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": RETRY_VISIBILITY_SECONDS}
                 for i, m in enumerate(messages) if m["MessageId"] in failed]
        for start in range(0, len(done), 10):  # SQS takes at most 10 entries per batch call
            sqs.delete_message_batch(QueueUrl=self.url, Entries=done[start:start + 10])
        for start in range(0, len(retry), 10):
            sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=retry[start:start + 10])

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {k: v for k, v in (message.get("Attributes") or {}).items() if k in _SQS_RECORD_ATTRIBUTES}
        message_attributes = {
            name: {"stringValue": a.get("StringValue"),
                   "binaryValue": _json_bytes(a["BinaryValue"]) if "BinaryValue" in a else None,
                   "stringListValues": a.get("StringListValues", []),
                   "binaryListValues": [_json_bytes(b) for b in a.get("BinaryListValues", [])],
                   "dataType": a["DataType"]}
            for name, a in (message.get("MessageAttributes") or {}).items()}
        record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                  "body": message["Body"], "attributes": attributes, "messageAttributes": message_attributes,
                  "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                  "eventSourceARN": self.source.queue_arn, "awsRegion": REGION}
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record
