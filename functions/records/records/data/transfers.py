"""A transfer's reads and writes: the package's objects (TRANSFER_BUCKET), the receiver's copies in the records
bucket, and the table writes of marking, receiving, undoing and releasing (keys: tables.py, components.py).

Bytes are copied as a stream, in parts: each part read from the source (1 MiB at a time), hashed, and sent as
one part of a multipart upload, so memory holds at most one part whatever the component's size; the upload is
completed only when the whole stream's SHA-256 is the one recorded (otherwise it is aborted and nothing is
written). A component smaller than a part is one PUT after its check.

| object                                                 | what                                             |
|--------------------------------------------------------|--------------------------------------------------|
| <prefix>/data/files/<file>/…  (TRANSFER_BUCKET)        | the package (domain/transfers.py); metadata `sha256` |
| components/<receiver org>/<file>/<item>/<component>    | the receiver's copy (records bucket), unlocked until `release_files` locks it |
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from botocore.exceptions import ClientError
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict, ServiceUnavailable

from ..domain.components import Component
from ..domain.model import Item, RecordFile
from .components import CHUNK, ComponentItem, _s3, component_key
from .components import get_component as recorded_component  # noqa: F401 (logic reads it from here)
from .tables import TABLE, FileItem, FileReferenceItem, ItemItem, RegistrationItem, file_key, file_sort_key, org_key, \
    item_sort_key, reference_key, regno_key
from .tx import Tx, read

PART = 8 * 1024 * 1024  # one part of a streamed copy (S3's floor is 5 MiB; the last part may be smaller)
TX_OPS = 100  # DynamoDB's limit of one transaction
COMPONENTS = component_key("", "")[:-1]  # "COMPONENT#": the sort-key prefix of a partition's components


class Corrupt(Exception):
    """The bytes read are not the ones recorded (nothing was written)."""

    def __init__(self, size: int, sha256: str) -> None:
        super().__init__(f"read {size} bytes with SHA-256 {sha256}")
        self.size, self.sha256 = size, sha256


class Missing(Exception):
    """The source object (or version) is not there."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code"))


def _unavailable(exc: ClientError, what: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"The {what} answered {_code(exc)}; retry shortly.")


def records_bucket() -> str:
    return os.environ["RECORDS_BUCKET"]


def transfer_bucket() -> str | None:
    return os.environ.get("TRANSFER_BUCKET")


# ----------------------------------------------------------------- streaming
def stream_copy(source: tuple[str, str, str | None], target: tuple[str, str], expected_sha256: str,
                media_type: str, metadata: dict[str, str] | None = None) -> tuple[str, int]:
    """Copy (bucket, key, version) to (bucket, key) in parts, hashing while it streams; (version id written,
    size). Raises Corrupt (nothing written) when the SHA-256 read is not `expected_sha256`, Missing when
    there is no such source."""
    s3 = _s3()
    src_bucket, src_key, src_version = source
    dst_bucket, dst_key = target
    try:
        found = s3.get_object(Bucket=src_bucket, Key=src_key, **({"VersionId": src_version} if src_version else {}))
    except ClientError as exc:
        if _code(exc) in ("NoSuchKey", "NoSuchVersion", "404", "MethodNotAllowed", "InvalidArgument"):
            raise Missing(src_key) from None
        raise _unavailable(exc, "bucket") from None
    digest, size, buffer = hashlib.sha256(), 0, bytearray()
    upload_id, parts = None, []
    body = found["Body"]
    extra = {"ContentType": media_type, **({"Metadata": metadata} if metadata else {})}
    try:
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            buffer += chunk
            if len(buffer) >= PART:
                if upload_id is None:
                    upload_id = s3.create_multipart_upload(Bucket=dst_bucket, Key=dst_key, **extra)["UploadId"]
                parts.append(_part(dst_bucket, dst_key, upload_id, len(parts) + 1, buffer))
                buffer = bytearray()
        if digest.hexdigest() != expected_sha256:
            raise Corrupt(size, digest.hexdigest())
        if upload_id is None:
            written = s3.put_object(Bucket=dst_bucket, Key=dst_key, Body=buffer, **extra)
        else:
            if buffer or not parts:
                parts.append(_part(dst_bucket, dst_key, upload_id, len(parts) + 1, buffer))
            written = s3.complete_multipart_upload(Bucket=dst_bucket, Key=dst_key, UploadId=upload_id,
                                                   MultipartUpload={"Parts": parts})
            upload_id = None
    except ClientError as exc:
        raise _unavailable(exc, "bucket") from None
    finally:
        body.close()
        if upload_id is not None:  # refused or failed half-way: the parts go, nothing was assembled
            _abort(dst_bucket, dst_key, upload_id)
    return written.get("VersionId") or "null", size


def _part(bucket: str, key: str, upload_id: str, number: int, data: bytearray) -> dict[str, Any]:
    answer = _s3().upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
    return {"PartNumber": number, "ETag": answer["ETag"]}


def _abort(bucket: str, key: str, upload_id: str) -> None:
    try:
        _s3().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError:
        pass  # the bucket's lifecycle rule aborts what is left


def stored_sha256(bucket: str, key: str) -> tuple[str, int] | None:
    """(sha256 metadata, size) of an object written by this module before, or None."""
    try:
        head = _s3().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound", "403"):
            return None
        raise _unavailable(exc, "bucket") from None
    sha = (head.get("Metadata") or {}).get("sha256")
    return (sha, int(head["ContentLength"])) if sha else None


def put_document(bucket: str, key: str, doc: dict[str, Any]) -> tuple[str, int]:
    """A JSON document (canonical: sorted keys, UTF-8), written unless the same bytes are there; (sha256, size)."""
    data = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    sha = hashlib.sha256(data).hexdigest()
    if stored_sha256(bucket, key) != (sha, len(data)):
        try:
            _s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json",
                             Metadata={"sha256": sha})
        except ClientError as exc:
            raise _unavailable(exc, "package bucket") from None
    return sha, len(data)


def get_document(bucket: str, key: str) -> dict[str, Any] | None:
    """A package's JSON document, or None when it is not there."""
    try:
        found = _s3().get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("NoSuchKey", "404"):
            return None
        raise _unavailable(exc, "package bucket") from None
    return json.loads(found["Body"].read())


def keys_under(bucket: str, prefix: str, suffix: str) -> Iterator[str]:
    """Every key under `prefix` ending with `suffix`, a listing page at a time."""
    paginator = _s3().get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(suffix):
                    yield obj["Key"]
    except ClientError as exc:
        raise _unavailable(exc, "package bucket") from None


def delete_keys(bucket: str, keys: list[str]) -> None:
    """Remove objects a refused file left in the package (a delete marker each: the bucket is versioned)."""
    for start in range(0, len(keys), 1000):
        try:
            _s3().delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                        "Quiet": True})
        except ClientError as exc:
            raise _unavailable(exc, "package bucket") from None


def delete_versions(prefix: str, keep: tuple[str, str] | None = None, exact: bool = True) -> None:
    """Every version (and delete marker) at a records-bucket key (`exact`) or under a prefix, but `keep`
    (key, version): the receiver's unlocked copies, strays of a retried copy or a whole undone receipt."""
    s3, bucket = _s3(), records_bucket()
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for kind in ("Versions", "DeleteMarkers")
                      for v in page.get(kind, []) if (v["Key"] == prefix or not exact)
                      and (v["Key"], v["VersionId"]) != keep]
            if doomed:
                refused = s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True}).get("Errors")
                if refused:
                    raise Undeletable(f"{refused[0].get('Key')}: {refused[0].get('Code')}")
    except ClientError as exc:
        raise _unavailable(exc, "records bucket") from None


class Undeletable(Exception):
    """S3 kept a version (locked: the receipt was accepted and released)."""


def lock(key: str, version: str, until: datetime) -> None:
    """GOVERNANCE retention on the receiver's copy, as on any captured component (never shortened)."""
    try:
        _s3().put_object_retention(Bucket=records_bucket(), Key=key, VersionId=version,
                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    except ClientError as exc:
        raise _unavailable(exc, "records bucket") from None


def lock_until(since: str, days: int) -> datetime:
    start = datetime.strptime(since[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return start + timedelta(days=days)


# ----------------------------------------------------------------- the table
def components_of(org_id: str, file_id: str) -> Iterator[Component]:
    """Every component of a file (all its items), a page at a time."""
    result = ComponentItem.query(file_key(org_id, file_id), ComponentItem.sk.startswith(COMPONENTS))
    yield from read(lambda: [i.entity(org_id=org_id, file_id=file_id) for i in result])


class PartitionRow(TABLE.Item):
    """Any row of a file's partition, as far as removing it goes."""

    registration_number = UnicodeAttribute(null=True)


def partition(org_id: str, file_id: str) -> list[PartitionRow]:
    """Every row in a file's partition (items, components, uploads, box links): what undoing a receipt removes."""
    return read(lambda: list(PartitionRow.query(file_key(org_id, file_id),
                                                attributes_to_get=["pk", "sk", "registration_number"])))


def save_files(changes: list[tuple[RecordFile, RecordFile, list[DomainEvent]]]) -> None:
    """Several files' new versions (each conditional on the one read) and their events: one transaction."""
    if not changes:
        return
    tx = Tx()
    for after, before, events in changes:
        tx.put(FileItem.of(after), condition=(FileItem.version == before.version) &
               (FileItem.status == before.status), on_fail=stale("file"))
        for event in events:
            tx.event(event)
    tx.run()


def put_contents(items: list[Item], components: list[Component]) -> None:
    """The receiver's items (with their registration numbers' claims) and components, in transactions of at
    most 100 writes; written again by a retry (the same values), a number claimed by another file refused."""
    ops: list[tuple[str, Any]] = [("item", i) for i in items] + [("component", c) for c in components]
    tx, size = Tx(), 0
    for kind, entity in ops:
        need = 2 if kind == "item" else 1
        if size + need > TX_OPS:
            tx.run()
            tx, size = Tx(), 0
        if kind == "item":
            tx.put(ItemItem.of(entity))
            tx.put(RegistrationItem(pk=regno_key(entity.org_id, entity.registration_number), sk="ITEM",
                                    file_id=entity.file_id, item_id=entity.id),
                   condition=RegistrationItem.pk.does_not_exist() | (RegistrationItem.file_id == entity.file_id),
                   on_fail=NumberTaken(entity.registration_number))
        else:
            tx.put(ComponentItem.of(entity))
        size += need
    if size:
        tx.run()


class NumberTaken(Conflict):
    """A registration number the receiver already gave another item."""


class ReferenceTaken(Conflict):
    """A file reference the receiver already gave another file."""


def add_received_file(file: RecordFile, events: list[DomainEvent]) -> None:
    """The receiver's file (its reference claimed) with its events: the receipt's last write."""
    tx = Tx().put(FileItem.of(file), condition=FileItem.pk.does_not_exist(), on_fail=Conflict("file exists"))
    if file.reference:
        tx.put(FileReferenceItem(pk=reference_key(file.org_id, file.reference), sk="FILE", file_id=file.id),
               condition=FileReferenceItem.pk.does_not_exist() | (FileReferenceItem.file_id == file.id),
               on_fail=ReferenceTaken(file.reference))
    for event in events:
        tx.event(event)
    tx.run()


def number_holder(org_id: str, number: str) -> str | None:
    try:
        return read(RegistrationItem.get, regno_key(org_id, number), "ITEM", consistent_read=True).file_id
    except DoesNotExist:
        return None


def reference_holder(org_id: str, reference: str) -> str | None:
    try:
        return read(FileReferenceItem.get, reference_key(org_id, reference), "FILE", consistent_read=True).file_id
    except DoesNotExist:
        return None


def remove_contents(org_id: str, file_id: str) -> None:
    """Everything in a received file's partition and the registration numbers its items claimed."""
    rows = partition(org_id, file_id)
    doomed: list[Any] = []
    for row in rows:
        doomed.append(row)
        number = row.registration_number
        if row.sk.startswith(item_sort_key("")) and number:
            doomed.append(RegistrationItem(pk=regno_key(org_id, number), sk="ITEM"))
    for start in range(0, len(doomed), TX_OPS):
        tx = Tx()
        for row in doomed[start:start + TX_OPS]:
            if isinstance(row, RegistrationItem):
                tx.delete(row, condition=RegistrationItem.pk.does_not_exist() | (RegistrationItem.file_id == file_id))
            else:
                tx.delete(row)
        tx.run()


def remove_received_file(file: RecordFile, events: list[DomainEvent]) -> None:
    """The receiver's file (and its reference's claim) gone, with its events: an undo's last write."""
    tx = Tx().delete(FileItem(pk=org_key(file.org_id), sk=file_sort_key(file.id)),
                     condition=FileItem.version == file.version, on_fail=stale("file"))
    if file.reference:
        tx.delete(FileReferenceItem(pk=reference_key(file.org_id, file.reference), sk="FILE"),
                  condition=FileReferenceItem.pk.does_not_exist() | (FileReferenceItem.file_id == file.id))
    for event in events:
        tx.event(event)
    tx.run()

