"""The local system's write-ahead journal: no acknowledged DynamoDB write is lost, even by `kill -9`.

Every committed write appends one line to the current segment (`journal/<n>.log`): the
new state of each item it changed (a transaction is one line, so it is replayed whole or
not at all). The line is flushed and fsync'ed before moto answers the call, so a write a
function saw succeed, and hence every 2xx the gateway gave, is on disk. Writers that
arrive while a flush runs are flushed together by the next one (group commit), so the
cost is one fsync per batch of concurrent writes, not per write.

Records are item states, not requests: replaying them in order over any older snapshot
gives the latest state of every item, and replaying a record twice changes nothing.
Compaction (persistence.Store.compact) rotates to a new segment under the write lock,
merges the closed segments into the snapshot's files (compaction.py, in a child process,
moto untouched), notes the first segment the snapshot does not cover, and deletes the
older ones; a crash anywhere in between only means more segments are replayed.

A torn last line (the crash came mid-write) was never acknowledged and is ignored.

S3 object writes are journaled the same way (`record_s3_writes`): each stored object
version is one line, `["s3:<bucket>", {"key", "version"}, {"body", "lock_mode",
"lock_until"}]`, written under the same lock and fsync'ed before moto answers the PUT,
so a signed audit checkpoint that was acknowledged survives a `kill -9`. A version's bytes
are immutable and named by its id; a later line for the same version is its new lock state
(a retention set after the PUT), and a line with no state says it was deleted by id, so
replaying in order over a snapshot gives every version as it last was.
"""
from __future__ import annotations

import base64
import json
import os
import pathlib
import threading
from typing import Any, Callable, Iterator

from infrastructure.moto_atomic import Change, writes_paused

from .compaction import S3_PREFIX, fsync_dir, read_changes, segments



def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


class Journal:
    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._appended = 0  # sequence number of the last line handed to record()
        self._durable = 0   # every line up to this one is on disk
        self._flushing = False
        self._file = None
        self.segment: int | None = None
        self.lines = 0  # lines in the current segment: compaction's trigger

    # -------------------------------------------------------------- segments
    def segments(self) -> list[tuple[int, pathlib.Path]]:
        return segments(self.folder)

    def read(self, since: int = 0) -> Iterator[Change]:
        """Every change in segments numbered `since` and later, in commit order."""
        return read_changes(self.folder, since)

    def start(self) -> int:
        """Begin recording into a new segment after the existing ones; returns its number."""
        record_s3_writes(self)
        with writes_paused():
            return self._open_next()

    def rotate(self) -> int:
        """Close the current segment (everything recorded so far is on disk) and open the next.
        Holds the write lock, so no write falls between the two segments."""
        with writes_paused():
            self._flush_through(self._appended)
            return self._open_next()

    def close(self) -> None:
        with writes_paused():
            self._flush_through(self._appended)
            with self._cond:
                if self._file is not None:
                    self._file.close()
                self._file, self.segment = None, None

    def remove_before(self, number: int) -> None:
        for n, path in self.segments():
            if n < number:
                path.unlink(missing_ok=True)

    def _open_next(self) -> int:
        with self._cond:
            while self._flushing:
                self._cond.wait()
            if self._file is not None:
                self._file.close()
            existing = [n for n, _ in self.segments()]
            self.segment = max(existing + [self.segment or 0]) + 1
            self.folder.mkdir(parents=True, exist_ok=True)
            self._file = (self.folder / f"{self.segment:08d}.log").open("ab")
            fsync_dir(self.folder)
            self.lines = 0
            return self.segment

    # ------------------------------------------------------------- recording
    def record(self, changes: list[Change]) -> Callable[[], None] | None:
        """The commit observer: called under the write lock, in commit order."""
        line = (json.dumps(changes, default=_json_default, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        with self._cond:
            if self._file is None:  # not started (restoring) or closed: nothing to make durable
                return None
            self._pending.append(line)
            self._appended += 1
            self.lines += 1
            sequence = self._appended
        return lambda: self._flush_through(sequence)

    def _flush_through(self, sequence: int) -> None:
        """Return once line `sequence` is on disk, flushing the pending batch if nobody else is."""
        with self._cond:
            while self._durable < sequence:
                if self._flushing:
                    self._cond.wait()
                    continue
                batch, self._pending, upto, handle = self._pending, [], self._appended, self._file
                self._flushing = True
                self._cond.release()
                written = False
                try:
                    handle.write(b"".join(batch))
                    handle.flush()
                    os.fsync(handle.fileno())
                    written = True
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    if written:
                        self._durable = upto
                    self._cond.notify_all()


_s3_journal: list[Journal] = []


def record_s3_writes(journal: Journal, set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's S3 backend (in this process) so that every stored object version is journaled
    and on disk before the PUT is answered (pass pytest's `monkeypatch.setattr` to undo it)."""
    from moto.s3.models import S3Backend

    _s3_journal[:] = [journal]
    if getattr(S3Backend.put_object, "_journaled", False):
        return
    original = S3Backend.put_object

    def put_object(self, bucket_name, key_name, value, *args, **kwargs):
        with writes_paused():  # versions of one key are journaled in the order they are stored
            stored = original(self, bucket_name, key_name, value, *args, **kwargs)
            wait = _s3_journal[0].record([(f"{S3_PREFIX}{bucket_name}", {"key": key_name, "version": stored.version_id},
                                          s3_state(stored))]) if _s3_journal else None
        if wait is not None:
            wait()
        return stored

    put_object._journaled = True  # type: ignore[attr-defined]
    set_attr(S3Backend, "put_object", put_object)

    # A version deleted by id (records' refused uploads) is journaled as gone; a retention set on a stored
    # version (records' capture locks what it verified) as that version's new state.
    original_delete, original_retention = S3Backend.delete_object, S3Backend.put_object_retention

    def delete_object(self, bucket_name, key_name, version_id=None, *args, **kwargs):
        with writes_paused():
            result = original_delete(self, bucket_name, key_name, version_id, *args, **kwargs)
            deleted = version_id is not None and bucket_name in self.buckets and not any(
                v.version_id == version_id for v in self.buckets[bucket_name].keys.getlist(key_name, []))
            wait = _s3_journal[0].record([(f"{S3_PREFIX}{bucket_name}", {"key": key_name, "version": version_id},
                                           None)]) if deleted and _s3_journal else None
        if wait is not None:
            wait()
        return result

    def put_object_retention(self, bucket_name, key_name, version_id, retention, *args, **kwargs):
        with writes_paused():
            original_retention(self, bucket_name, key_name, version_id, retention, *args, **kwargs)
            stored = self.get_object(bucket_name, key_name, version_id=version_id)
            wait = _s3_journal[0].record([(f"{S3_PREFIX}{bucket_name}", {"key": key_name, "version": stored.version_id},
                                           s3_state(stored))]) if stored is not None and _s3_journal else None
        if wait is not None:
            wait()

    set_attr(S3Backend, "delete_object", delete_object)
    set_attr(S3Backend, "put_object_retention", put_object_retention)


def s3_state(stored: Any) -> dict[str, Any]:
    """What a restore needs to put an object version back as it was."""
    return {"body": bytes(stored.value), "lock_mode": stored.lock_mode, "lock_until": stored.lock_until,
            "lock_legal_status": stored.lock_legal_status}
