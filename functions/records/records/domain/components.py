"""Digital components (전자기록물의 구성파일) of an item: the upload that brings one in, the component it
becomes once its bytes are verified, and the rules for both.

A component is the bytes of one computer file, captured in the records bucket and never changed
afterwards; what may change is its description (label, description), versioned like every entity.
An upload is the request that precedes it: the client declares size, media type and SHA-256, puts
the bytes to a presigned URL that S3 accepts only with that checksum, then completes the upload;
the capability re-reads the object and captures the component only if size and SHA-256 match.

Checksums are kept as lowercase hex (what `sha256sum` prints); S3's `x-amz-checksum-sha256`
carries the base64 of the same 32 bytes. Clients may send either form.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, replace
from typing import Any

MIB = 1024 * 1024
# Above this a single PUT is risky on a poor connection (one failure resends everything): multipart.
MULTIPART_THRESHOLD = 100 * MIB
MIN_PART_SIZE = 16 * MIB  # S3's floor is 5 MiB; fewer, larger parts keep the answer small
MAX_PARTS = 1000  # a bound on the presigned URLs in one answer (S3 allows 10,000)
# The complete step re-reads every byte inside the request: bounded by what a function reads
# and hashes well within API Gateway's 29 s (larger captures would need an asynchronous check).
MAX_COMPONENT_BYTES = 5 * 1024 * MIB
UPLOAD_TTL_SECONDS = 15 * 60
UPLOAD_STATUSES = ("pending", "captured", "rejected")
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_B64 = re.compile(r"^[A-Za-z0-9+/]{43}=$")


class BadChecksum(ValueError):
    """A declared SHA-256 that is neither 64 hex digits nor the base64 of 32 bytes."""


def sha256_hex(value: str) -> str:
    """The declared SHA-256 as lowercase hex, from hex (64 digits) or base64 (44 characters)."""
    text = value.strip()
    if _HEX.match(text):
        return text.lower()
    if _B64.match(text):
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise BadChecksum("not valid base64") from None
        if len(raw) == 32:
            return raw.hex()
    raise BadChecksum("a SHA-256 is 64 hex digits or 44 base64 characters")


def sha256_base64(hex_digest: str) -> str:
    """What S3's x-amz-checksum-sha256 header carries for that digest."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@dataclass(frozen=True)
class PartPlan:
    part_size: int
    count: int

    def sizes(self, total: int) -> list[int]:
        """The size of each part, the last one taking what is left."""
        return [min(self.part_size, total - i * self.part_size) for i in range(self.count)]


def part_plan(size: int) -> PartPlan | None:
    """None for a single PUT; else parts of at least MIN_PART_SIZE, whole MiB, at most MAX_PARTS of them."""
    if size <= MULTIPART_THRESHOLD:
        return None
    part_size = max(MIN_PART_SIZE, math.ceil(size / MAX_PARTS / MIB) * MIB)
    return PartPlan(part_size=part_size, count=math.ceil(size / part_size))


@dataclass(frozen=True)
class Mismatch:
    """What the stored object turned out to be, against what was declared."""

    field: str  # "size" or "sha256"
    declared: Any
    found: Any

    def public(self) -> dict[str, Any]:
        return {"field": self.field, "declared": self.declared, "found": self.found}


def compare(declared_size: int, declared_sha256: str, found_size: int | None, found_sha256: str | None) -> list[Mismatch]:
    """Every difference between the declaration and the object (nothing found: both differ)."""
    mismatches = []
    if found_size != declared_size:
        mismatches.append(Mismatch("size", declared_size, found_size))
    if found_sha256 != declared_sha256:
        mismatches.append(Mismatch("sha256", declared_sha256, found_sha256))
    return mismatches


@dataclass(frozen=True)
class ComponentUpload:
    """An upload waiting for its bytes (`pending`), or what became of it (`captured`, `rejected`)."""

    org_id: str
    file_id: str
    item_id: str
    id: str
    filename: str
    media_type: str
    size: int
    sha256: str  # hex
    object_key: str
    multipart_id: str | None = None  # S3's UploadId for a multipart upload
    part_size: int | None = None
    status: str = "pending"
    mismatches: tuple[dict[str, Any], ...] | None = None  # why it was rejected
    component_id: str | None = None
    expires_at: str = ""
    version: int = 1
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def multipart(self) -> bool:
        return self.multipart_id is not None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "file_id": self.file_id, "item_id": self.item_id, "filename": self.filename,
                "media_type": self.media_type, "size": self.size, "sha256": self.sha256,
                "method": "multipart" if self.multipart else "put", "part_size": self.part_size,
                "status": self.status, "mismatches": list(self.mismatches or ()), "component_id": self.component_id,
                "expires_at": self.expires_at, "created_by": self.created_by, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "ComponentUpload":
        return replace(self, **changes)


@dataclass(frozen=True)
class Component:
    """A captured component: its bytes (object key and version, size, SHA-256) never change; label and
    description are its editable metadata. Fixity fields say when it was last re-read and how it went."""

    org_id: str
    file_id: str
    item_id: str
    id: str
    filename: str
    media_type: str
    size: int
    sha256: str  # hex
    object_key: str
    object_version: str
    label: str | None = None
    description: str | None = None
    captured_by: str = ""
    captured_at: str = ""
    fixity_checked_at: str | None = None
    fixity_status: str = "unchecked"  # unchecked | ok | failed
    status: str = "captured"  # captured | destroyed (metadata and hash kept, no content)
    destruction_run_id: str | None = None  # set, with the versions, before the first byte is deleted
    destruction_versions: tuple[str, ...] = ()  # every version id at its key when the run planned it
    destroyed_at: str | None = None
    version: int = 1
    updated_at: str = ""

    @property
    def destroyed(self) -> bool:
        return self.status == "destroyed"

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "file_id": self.file_id, "item_id": self.item_id, "filename": self.filename,
                "media_type": self.media_type, "size": self.size, "sha256": self.sha256, "label": self.label,
                "description": self.description, "captured_by": self.captured_by, "captured_at": self.captured_at,
                "fixity": {"status": self.fixity_status, "checked_at": self.fixity_checked_at},
                "status": self.status,
                "destruction": {"run_id": self.destruction_run_id, "destroyed_at": self.destroyed_at,
                                "versions_deleted": len(self.destruction_versions)} if self.destroyed else None,
                "version": self.version, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Component":
        return replace(self, **changes)


EDITABLE = ("label", "description")  # everything else describes the bytes, which never change


def object_key(org_id: str, file_id: str, item_id: str, upload_id: str) -> str:
    """One key per upload, never reused: a component's object is never overwritten by another upload."""
    return f"components/{org_id}/{file_id}/{item_id}/{upload_id}"
