"""The packages bucket (TransferPackagesBucket, TRANSFER_BUCKET): bags under `transfers/<sender>/<transfer>/`
and exports under `exports/<org>/<export>/`.

| object                                          | who writes it                                  |
|-------------------------------------------------|------------------------------------------------|
| <bag>/data/files/<file>/...                     | records' `package_files` (metadata, components) |
| <bag>/data/history/<type>-<id>.json             | audit's `export_history`                        |
| <bag>/bagit.txt, bag-info.txt, ead3.xml,        | transfer's `finish_bag`                        |
|   manifest-sha256.txt, tagmanifest-sha256.txt   |                                                 |

Everything is streamed: a writer uploads parts of PART_SIZE (hashing as it goes), a reader hashes an
object CHUNK bytes at a time, a listing is read a page at a time; memory does not grow with the bag.
"""
from __future__ import annotations

from functools import lru_cache
import hashlib
import os
from typing import Any, Iterator

from botocore.exceptions import ClientError

from shared.problems import ServiceUnavailable

CHUNK = 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 parts are at least 5 MiB (but the last)
URL_TTL_SECONDS = 15 * 60


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: routes that never touch the bucket pay nothing for it

    return boto3.client("s3")


def bucket_name() -> str:
    return os.environ["TRANSFER_BUCKET"]


def bag_prefix(sender_org: str, transfer_id: str) -> str:
    return f"transfers/{sender_org}/{transfer_id}"


def export_prefix(org_id: str, export_id: str) -> str:
    return f"exports/{org_id}/{export_id}"


def _unavailable(exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(f"The packages bucket is unavailable; retry shortly ({exc}).")


class Writer:
    """One object written as a stream of text or bytes; `close()` returns (sha256, size) of what it wrote."""

    def __init__(self, bucket: str, key: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.bucket, self.key, self.content_type = bucket, key, content_type
        self._buffer = bytearray()
        self._hash = hashlib.sha256()
        self._size = 0
        self._upload_id: str | None = None
        self._parts: list[dict] = []

    def write(self, data: str | bytes) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self._hash.update(raw)
        self._size += len(raw)
        self._buffer += raw
        if len(self._buffer) >= PART_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._upload_id is None:
            self._upload_id = _client().create_multipart_upload(Bucket=self.bucket, Key=self.key,
                                                                ContentType=self.content_type)["UploadId"]
        number = len(self._parts) + 1
        etag = _client().upload_part(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number,
                                     Body=bytes(self._buffer))["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})
        self._buffer = bytearray()

    def close(self) -> tuple[str, int]:
        try:
            if self._upload_id is None:
                _client().put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer),
                                     ContentType=self.content_type)
            else:
                if self._buffer:
                    self._flush()
                _client().complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                                    MultipartUpload={"Parts": self._parts})
        except ClientError as exc:
            raise _unavailable(exc) from exc
        return self._hash.hexdigest(), self._size


def put_text(bucket: str, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> tuple[str, int]:
    writer = Writer(bucket, key, content_type)
    writer.write(text)
    return writer.close()


def upload_file(bucket: str, key: str, path: str, content_type: str) -> tuple[str, int]:
    """A local (temporary) file into the bucket, streamed and hashed."""
    writer = Writer(bucket, key, content_type)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            writer.write(chunk)
    return writer.close()


def _body(bucket: str, key: str) -> Any | None:
    """The streaming body of an object; None when it is not there."""
    try:
        return _client().get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise _unavailable(exc) from exc


def hash_object(bucket: str, key: str) -> tuple[str, int] | None:
    """(sha256, size) of an object, read CHUNK bytes at a time; None when it is not there."""
    body = _body(bucket, key)
    if body is None:
        return None
    digest, size = hashlib.sha256(), 0
    for chunk in body.iter_chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def read_text(bucket: str, key: str) -> str | None:
    body = _body(bucket, key)
    return None if body is None else body.read().decode("utf-8")


def iter_lines(bucket: str, key: str) -> Iterator[str] | None:
    """The lines of a text object, streamed; None when it is not there."""
    body = _body(bucket, key)
    return None if body is None else (line.decode("utf-8") for line in body.iter_lines(CHUNK) if line)


def tally(bucket: str, prefix: str) -> tuple[int, int]:
    """(octets, count) of the objects under a prefix, listed a page at a time."""
    octets = count = 0
    for page in _client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents") or []:
            octets += obj["Size"]
            count += 1
    return octets, count


def iter_keys(bucket: str, prefix: str) -> Iterator[str]:
    for page in _client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents") or []:
            yield obj["Key"]


def presign_get(bucket: str, key: str, filename: str) -> str:
    return _client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key,
                              "ResponseContentDisposition": f'attachment; filename="{filename}"'},
        ExpiresIn=URL_TTL_SECONDS)


class _Sink:
    """A write-only file object over a Writer, for zipfile (which needs no seeking when it cannot seek)."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:
        self.writer.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def zip_prefix(bucket: str, prefix: str, key: str) -> tuple[str, int]:
    """Every object under `prefix/` into one zip at `key` (paths relative to the prefix, under a folder named
    after it), streamed object by object, CHUNK bytes at a time."""
    import zipfile

    writer = Writer(bucket, key, "application/zip")
    folder = prefix.rsplit("/", 1)[-1]
    with zipfile.ZipFile(_Sink(writer), "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name in iter_keys(bucket, prefix + "/"):
            body = _client().get_object(Bucket=bucket, Key=name)["Body"]
            with archive.open(f"{folder}/{name[len(prefix) + 1:]}", "w", force_zip64=True) as entry:
                for chunk in body.iter_chunks(CHUNK):
                    entry.write(chunk)
    return writer.close()
