"""What destruction reads and writes: a file's components (items of its partition, see components.py) and
every version of their objects in the records bucket.

Deleting a locked version needs `BypassGovernanceRetention`, which the bucket policy grants only to a
principal tagged records-role=destruction (RecordsDestructionFunction's role); the other records
functions' deletes of a locked version are refused by S3. Objects of a file live under
components/<org>/<file>/ (components.object_key): listing that prefix finds every version and delete
marker of every component of the file, and of any upload that was never captured.
"""
from __future__ import annotations

from typing import Any, Iterable

from botocore.exceptions import ClientError

from shared.concurrency import stale
from shared.events import DomainEvent

from ..domain.components import Component
from .components import ComponentItem, _bucket, _s3, _storage_error
from .tables import file_key
from .tx import Tx, read

DELETE_BATCH = 1000  # S3's DeleteObjects takes at most 1,000 keys
WRITE_BATCH = 50  # a transaction takes 100 writes: a component and its event each


class StorageRefused(Exception):
    """S3 refused to delete a version (the role lacks the right, or the lock is not governance): not
    transient, someone must look."""


def file_prefix(org_id: str, file_id: str) -> str:
    return f"components/{org_id}/{file_id}/"


def components_of(org_id: str, file_id: str) -> list[Component]:
    """Every component of the file (their items sit in its partition)."""
    result = ComponentItem.query(file_key(org_id, file_id), ComponentItem.sk.startswith("COMPONENT#"))
    return read(lambda: [i.entity(org_id=org_id, file_id=file_id) for i in result])


def _put_all(changes: list[tuple[Component, Component]], events: dict[str, DomainEvent]) -> None:
    """Each component's new version (conditional on the one read), with its event if any; in transactions."""
    for start in range(0, len(changes), WRITE_BATCH):
        tx = Tx()
        for after, before in changes[start:start + WRITE_BATCH]:
            tx.put(ComponentItem.of(after), condition=ComponentItem.version == before.version,
                   on_fail=stale("component"))
            if after.id in events:
                tx.event(events[after.id])
        tx.run()


def save_plans(changes: list[tuple[Component, Component]]) -> None:
    """The run and version ids on each component, before anything is deleted (no event: nothing happened yet)."""
    _put_all(changes, {})


def save_destroyed(changes: list[tuple[Component, Component]], events: Iterable[DomainEvent]) -> None:
    """Components destroyed, each with its ComponentDestroyed event."""
    by_component = {e.payload["component_id"]: e for e in events}
    _put_all(changes, by_component)


def versions_under(prefix: str) -> dict[str, list[str]]:
    """Every version id and delete marker under the prefix, by key (pages of 1,000)."""
    found: dict[str, list[str]] = {}
    args: dict[str, Any] = {"Bucket": _bucket(), "Prefix": prefix}
    try:
        while True:
            listed = _s3().list_object_versions(**args)
            for kind in ("Versions", "DeleteMarkers"):
                for v in listed.get(kind, []):
                    found.setdefault(v["Key"], []).append(v["VersionId"])
            if not listed.get("IsTruncated"):
                return found
            args |= {"KeyMarker": listed["NextKeyMarker"], "VersionIdMarker": listed["NextVersionIdMarker"]}
    except ClientError as exc:
        raise _storage_error(exc) from None


def delete_versions(objects: list[tuple[str, str]]) -> None:
    """Delete each (key, version id) for good, locked or not (governance bypassed). A version already gone
    counts as deleted (S3 answers a missing version id with success)."""
    for start in range(0, len(objects), DELETE_BATCH):
        batch = [{"Key": key, "VersionId": version} for key, version in objects[start:start + DELETE_BATCH]]
        try:
            answer = _s3().delete_objects(Bucket=_bucket(), Delete={"Objects": batch, "Quiet": True},
                                          BypassGovernanceRetention=True)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) == "AccessDenied":
                raise StorageRefused(f"The records bucket refused the deletion: {exc}") from None
            raise _storage_error(exc) from None
        errors = [e for e in answer.get("Errors", []) if e.get("Code") not in ("NoSuchVersion", "NoSuchKey")]
        if errors:
            named = ", ".join(f"{e.get('Key')}@{e.get('VersionId')} ({e.get('Code')})" for e in errors[:5])
            if all(e.get("Code") == "AccessDenied" for e in errors):
                raise StorageRefused(f"The records bucket refused to delete {len(errors)} version(s): {named}")
            raise _storage_error(ClientError({"Error": {"Code": errors[0].get("Code") or "Unknown"}},
                                             "DeleteObjects"))
