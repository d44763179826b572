"""Components: their items in the records table and their objects in the records bucket.

| item                       | pk                      | sk                          | gsi1pk / gsi1sk                       |
|----------------------------|-------------------------|-----------------------------|---------------------------------------|
| component upload           | ORG#<org>#FILE#<file>   | UPLOAD#<item>#<upload id>   |                                       |
| component                  | ORG#<org>#FILE#<file>   | COMPONENT#<item>#<id>       | FIXITY_DUE / <last check or capture>#<org>#<file>#<id> |
| fixity follow-up           | ORG#<org>#FIXITY        | FOLLOWUP#<id>               |                                       |
| fixity run report (an org) | ORG#<org>#FIXITY        | RUN#<run id>                |                                       |

Uploads and components live in their file's partition (tables.py), beside its items. The fixity
index holds every component once (until a destruction run takes it: destruction.py), ordered by when it was last read (never-read ones by their
capture), so a run takes the oldest first, one Query page at a time, never a scan.

| object                                         | what                                        |
|------------------------------------------------|---------------------------------------------|
| components/<org>/<file>/<item>/<upload id>     | one upload's bytes; the captured version is locked |

The bucket (RECORDS_BUCKET) is versioned with Object Lock. A key belongs to one upload and is
written at most once (the presigned PUT signs `If-None-Match: *`); the version that passes the
check is locked (GOVERNANCE retention) before the component is recorded, so only a role allowed
to bypass governance retention — none of this capability's — can delete or shorten it. Versions
that failed the check were never locked, and are deleted.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterator
from urllib.parse import quote

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.mapping import OMITTED, Json
from shared.problems import Conflict, ServiceUnavailable
from shared.storage import Gsi1, Key

from ..domain.components import UPLOAD_TTL_SECONDS, Component, ComponentUpload
from ..domain.fixity import FollowUp, RunReport
from ..domain.lifecycle import STATUSES, editable
from .tables import TABLE, FileItem, file_key, file_sort_key, org_key
from .tx import Tx, page, read

FIXITY_DUE = "FIXITY_DUE"
CHUNK = 1024 * 1024  # what one read takes from the object stream: memory stays flat whatever its size
DOWNLOAD_TTL_SECONDS = 5 * 60

upload_key = Key("UPLOAD#{item_id}#{upload_id}")
component_key = Key("COMPONENT#{item_id}#{component_id}")
fixity_key = Key("ORG#{org_id}#FIXITY")
follow_up_key = Key("FOLLOWUP#{follow_up_id}")
run_key = Key("RUN#{run_id}")


# ----------------------------------------------------------------- item types
class UploadItem(TABLE.Item, entity=ComponentUpload, fields={"org_id": OMITTED, "file_id": OMITTED,
                                                             "mismatches": Json()}):
    @classmethod
    def derived(cls, u: ComponentUpload) -> dict[str, Any]:
        return {"pk": file_key(u.org_id, u.file_id), "sk": upload_key(u.item_id, u.id)}


class ComponentItem(TABLE.Item, entity=Component, fields={"org_id": OMITTED, "file_id": OMITTED}):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, c: Component) -> dict[str, Any]:
        keys = {"pk": file_key(c.org_id, c.file_id), "sk": component_key(c.item_id, c.id)}
        if c.destruction_run_id is None:  # a component a destruction run took is never checked again
            keys |= {"gsi1pk": FIXITY_DUE, "gsi1sk": _due_key(c)}
        return keys


def _due_key(c: Component) -> str:
    # The index entry names the org and file (the key's parts), so a run needs no other lookup.
    return f"{c.fixity_checked_at or c.captured_at}#{c.org_id}#{c.file_id}#{c.id}"


class FollowUpItem(TABLE.Item, entity=FollowUp, fields={"org_id": OMITTED}):
    @classmethod
    def derived(cls, f: FollowUp) -> dict[str, Any]:
        return {"pk": fixity_key(f.org_id), "sk": follow_up_key(f.id)}


class RunReportItem(TABLE.Item, entity=RunReport, fields={"org_id": OMITTED, "failures": Json()}):
    @classmethod
    def derived(cls, r: RunReport) -> dict[str, Any]:
        return {"pk": fixity_key(r.org_id), "sk": run_key(r.run_id)}


def _get(model, hash_key: str, range_key: str, consistent: bool = False):
    try:
        return read(model.get, hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


# ------------------------------------------------------------------- uploads
def get_upload(org_id: str, file_id: str, item_id: str, upload_id: str,
               consistent: bool = True) -> ComponentUpload | None:
    item = _get(UploadItem, file_key(org_id, file_id), upload_key(item_id, upload_id), consistent)
    return item.entity(org_id=org_id, file_id=file_id) if item else None


def create_upload(upload: ComponentUpload) -> None:
    Tx().put(UploadItem.of(upload), condition=UploadItem.pk.does_not_exist(),
             on_fail=Conflict("That upload already exists.")).run()


def reject_upload(after: ComponentUpload, before: ComponentUpload) -> None:
    """No event: nothing was captured and nothing of the item changed."""
    Tx().put(UploadItem.of(after), condition=UploadItem.version == before.version,
             on_fail=stale("upload")).run()


# ---------------------------------------------------------------- components
def get_component(org_id: str, file_id: str, item_id: str, component_id: str,
                  consistent: bool = False) -> Component | None:
    item = _get(ComponentItem, file_key(org_id, file_id), component_key(item_id, component_id), consistent)
    return item.entity(org_id=org_id, file_id=file_id) if item else None


def list_components(org_id: str, file_id: str, item_id: str, limit: int, cursor: str | None):
    return page(ComponentItem, file_key(org_id, file_id), component_key(item_id, ""), limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, file_id=file_id))


def capture(component: Component, upload_before: ComponentUpload, upload_after: ComponentUpload,
            event: DomainEvent) -> None:
    """The component, its upload marked captured and ComponentCaptured: one transaction, while the file still
    takes components (a destruction run that marked it meanwhile wins: no live component in a destroyed file)."""
    (Tx().check(FileItem, org_key(component.org_id), file_sort_key(component.file_id),
                FileItem.status.is_in(*(s for s in STATUSES if editable(s))),
                on_fail=Conflict("The file stopped taking components meanwhile (a destruction run holds it)."))
     .put(ComponentItem.of(component), condition=ComponentItem.pk.does_not_exist(),
              on_fail=Conflict("That component is already captured."))
     .put(UploadItem.of(upload_after), condition=(UploadItem.version == upload_before.version)
          & (UploadItem.status == "pending"), on_fail=Conflict("The upload was completed meanwhile."))
     .event(event).run())


def save_description(after: Component, before: Component, event: DomainEvent) -> None:
    """Label and description only: the attributes that describe the bytes are not in the update."""
    item = ComponentItem.of(after)
    Tx().update(item, [ComponentItem.label.set(after.label) if after.label is not None else ComponentItem.label.remove(),
                       ComponentItem.description.set(after.description) if after.description is not None
                       else ComponentItem.description.remove(),
                       ComponentItem.version.set(after.version), ComponentItem.updated_at.set(after.updated_at)],
                condition=ComponentItem.version == before.version, on_fail=stale("component")).event(event).run()


# -------------------------------------------------------------------- fixity
def due_components(before: str, page_size: int = 100) -> Iterator[Component]:
    """Every component whose last check (or capture) is older than `before`, oldest first, a page at a time."""
    last = None
    while True:
        result = ComponentItem.gsi1.query(FIXITY_DUE, ComponentItem.gsi1sk < before, limit=page_size,
                                          last_evaluated_key=last)
        items = read(lambda: list(result))
        for item in items:
            _, org_id, file_id, _ = item.gsi1sk.split("#", 3)
            yield item.entity(org_id=org_id, file_id=file_id)
        last = result.last_evaluated_key
        if not last:
            return


def _checked(component: Component, at: str, status: str) -> tuple[ComponentItem, list[Any]]:
    after = component.with_changes(fixity_checked_at=at, fixity_status=status)
    item = ComponentItem.of(after)
    # The metadata version is left alone: a check is not an edit, and must not fail an editor's If-Match.
    return item, [ComponentItem.fixity_checked_at.set(at), ComponentItem.fixity_status.set(status),
                  ComponentItem.gsi1sk.set(_due_key(after))]


def record_checks(passed: list[Component], at: str) -> None:
    """Components read back intact: one transaction for a batch (DynamoDB takes up to 100 writes)."""
    for start in range(0, len(passed), 100):
        tx = Tx()
        for component in passed[start:start + 100]:
            item, actions = _checked(component, at, "ok")
            tx.update(item, actions, condition=ComponentItem.pk.exists())
        try:
            tx.run()
        except Conflict:  # a component vanished from the table meanwhile: record the others one by one
            for component in passed[start:start + 100]:
                item, actions = _checked(component, at, "ok")
                try:
                    Tx().update(item, actions, condition=ComponentItem.pk.exists()).run()
                except Conflict:
                    continue


def record_failure(component: Component, at: str, follow_up: FollowUp, event: DomainEvent) -> None:
    """The failed check, its follow-up and FixityFailed: one transaction; a run retried opens no second follow-up."""
    item, actions = _checked(component, at, "failed")
    try:
        (Tx().update(item, actions, condition=ComponentItem.pk.exists())
         .put(FollowUpItem.of(follow_up), condition=FollowUpItem.pk.does_not_exist(),
              on_fail=Conflict("follow-up exists"))
         .event(event).run())
    except Conflict:
        return


def save_reports(reports: list[RunReport]) -> None:
    for start in range(0, len(reports), 100):
        tx = Tx()
        for report in reports[start:start + 100]:
            tx.put(RunReportItem.of(report))
        tx.run()


def get_report(org_id: str, run_id: str) -> RunReport | None:
    item = _get(RunReportItem, fixity_key(org_id), run_key(run_id))
    return item.entity(org_id=org_id) if item else None


def list_reports(org_id: str, limit: int, cursor: str | None):
    return page(RunReportItem, fixity_key(org_id), run_key(""), limit, cursor,
                convert=lambda i: i.entity(org_id=org_id), newest_first=True)


def get_follow_up(org_id: str, follow_up_id: str) -> FollowUp | None:
    item = _get(FollowUpItem, fixity_key(org_id), follow_up_key(follow_up_id), consistent=True)
    return item.entity(org_id=org_id) if item else None


def list_follow_ups(org_id: str, status: str | None, limit: int, cursor: str | None):
    condition = (FollowUpItem.status == status) if status else None
    return page(FollowUpItem, fixity_key(org_id), follow_up_key(""), limit, cursor,
                convert=lambda i: i.entity(org_id=org_id), filter_condition=condition)


def save_follow_up(after: FollowUp, before: FollowUp, event: DomainEvent) -> None:
    Tx().put(FollowUpItem.of(after), condition=FollowUpItem.version == before.version,
             on_fail=stale("follow-up")).event(event).run()


# ------------------------------------------------------- objects in the bucket
@lru_cache(maxsize=1)
def _s3():
    import boto3  # with the first component call: other records routes never pay for an S3 client
    from botocore.config import Config

    # SigV4 signs the checksum, length, type and If-None-Match headers into presigned PUTs. Responses are not
    # checked by botocore against a stored checksum: this capability hashes every byte it reads itself, and a
    # mismatch is a finding to report (fixity) or a refusal to explain (complete), not an exception mid-stream.
    return boto3.client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"},
                                            response_checksum_validation="when_required"))


def reset_client() -> None:
    """Forget the S3 client (tests point it at another endpoint)."""
    _s3.cache_clear()


def _bucket() -> str:
    return os.environ["RECORDS_BUCKET"]


def _storage_error(exc: ClientError) -> ServiceUnavailable:
    return ServiceUnavailable(f"The records bucket answered {exc.response['Error'].get('Code')}; retry shortly.")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code"))


def put_url(key: str, size: int, media_type: str, sha256_b64: str) -> tuple[str, dict[str, str]]:
    """A presigned PUT S3 accepts only with exactly these headers (all signed): the declared length,
    type and SHA-256 (S3 recomputes it and refuses the bytes with BadDigest when they differ), and
    If-None-Match: * so the URL writes the key at most once."""
    headers = {"Content-Type": media_type, "x-amz-checksum-sha256": sha256_b64,
               "x-amz-sdk-checksum-algorithm": "SHA256", "If-None-Match": "*"}
    url = _s3().generate_presigned_url("put_object", ExpiresIn=UPLOAD_TTL_SECONDS, Params={
        "Bucket": _bucket(), "Key": key, "ContentLength": size, "ContentType": media_type,
        "ChecksumSHA256": sha256_b64, "ChecksumAlgorithm": "SHA256", "IfNoneMatch": "*"})
    return url, {**headers, "Content-Length": str(size)}


def start_multipart(key: str, media_type: str) -> str:
    try:
        return _s3().create_multipart_upload(Bucket=_bucket(), Key=key, ContentType=media_type)["UploadId"]
    except ClientError as exc:
        raise _storage_error(exc) from None


def part_url(key: str, multipart_id: str, part_number: int, size: int) -> str:
    return _s3().generate_presigned_url("upload_part", ExpiresIn=UPLOAD_TTL_SECONDS, Params={
        "Bucket": _bucket(), "Key": key, "UploadId": multipart_id, "PartNumber": part_number, "ContentLength": size})


class PartsRefused(Exception):
    """S3 did not accept the parts list (a part missing, an ETag that is not the part's)."""


def finish_multipart(key: str, multipart_id: str, parts: list[dict[str, Any]]) -> None:
    """Assemble the parts; the key is written at most once (If-None-Match: *). Done before is fine."""
    try:
        _s3().complete_multipart_upload(
            Bucket=_bucket(), Key=key, UploadId=multipart_id, IfNoneMatch="*",
            MultipartUpload={"Parts": [{"PartNumber": p["part_number"], "ETag": p["etag"]} for p in parts]})
    except ClientError as exc:
        if _code(exc) in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
            raise PartsRefused(exc.response["Error"].get("Message") or _code(exc)) from None
        if _code(exc) in ("NoSuchUpload", "PreconditionFailed"):  # completed (or aborted) before: read what is there
            return
        raise _storage_error(exc) from None


def abort_multipart(key: str, multipart_id: str) -> None:
    try:
        _s3().abort_multipart_upload(Bucket=_bucket(), Key=key, UploadId=multipart_id)
    except ClientError as exc:
        if _code(exc) != "NoSuchUpload":
            raise _storage_error(exc) from None


def read_object(key: str, version: str | None = None) -> tuple[str, int, str] | None:
    """(version id, size, SHA-256 hex) of the object (the current version, or `version`), read as a
    stream in CHUNK pieces; None when there is none (no key, a delete marker, no such version)."""
    args = {"Bucket": _bucket(), "Key": key, **({"VersionId": version} if version else {})}
    try:
        found = _s3().get_object(**args)
    except ClientError as exc:
        if _code(exc) in ("NoSuchKey", "NoSuchVersion", "404", "MethodNotAllowed"):
            return None
        raise _storage_error(exc) from None
    digest, size = hashlib.sha256(), 0
    body = found["Body"]
    try:
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        body.close()
    return found.get("VersionId") or "null", size, digest.hexdigest()


def delete_versions(key: str, keep: str | None = None) -> None:
    """Every version (and delete marker) at the key but `keep`: what a refused upload leaves, or strays."""
    s3 = _s3()
    try:
        listed = s3.list_object_versions(Bucket=_bucket(), Prefix=key)
        doomed = [{"Key": key, "VersionId": v["VersionId"]}
                  for kind in ("Versions", "DeleteMarkers") for v in listed.get(kind, [])
                  if v["Key"] == key and v["VersionId"] != keep]
        if doomed:
            s3.delete_objects(Bucket=_bucket(), Delete={"Objects": doomed, "Quiet": True})
    except ClientError as exc:
        raise _storage_error(exc) from None


def lock(key: str, version: str, days: int) -> None:
    """GOVERNANCE retention on the captured version: nobody without s3:BypassGovernanceRetention can
    delete it or shorten the lock (this capability can only set or extend it)."""
    until = datetime.now(timezone.utc) + timedelta(days=days)
    try:
        _s3().put_object_retention(Bucket=_bucket(), Key=key, VersionId=version,
                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    except ClientError as exc:
        raise _storage_error(exc) from None


def get_url(key: str, version: str, filename: str, media_type: str) -> str:
    """A presigned GET of exactly the captured version, saved under its original file name."""
    disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return _s3().generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_TTL_SECONDS, Params={
        "Bucket": _bucket(), "Key": key, "VersionId": version, "ResponseContentDisposition": disposition,
        "ResponseContentType": media_type})
