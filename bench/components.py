"""Digital components: upload-and-verify of a large component, and a fixity run over many.

    .venv/bin/python -m bench.components                  # 200 MiB (and 20 MiB) upload, fixity over 1,000
    .venv/bin/python -m bench.components --upload-mib 50 --fixity 200

A moto server in its own process (so tracemalloc and the RSS figures here are this process's
alone) with the records table and bucket from template.yaml; one file and item in an organisation.

- **upload-and-verify**: the records API's own use cases, in process: ask for an upload (multipart
  above 100 MiB: presigned part URLs), PUT the parts to S3 over HTTP (streamed from a 1 MiB block,
  not measured), then `complete`, which re-reads the object from S3 as a stream and recomputes its
  SHA-256. Reported: the complete step's seconds (`complete s`), of which S3 assembling a multipart
  upload's parts (`assemble s`, moto copying them in memory) and the check itself (`verify s`: the
  object streamed from S3 and hashed); the check's MiB/s, as a ratio to hashing the same bytes
  with `hashlib` in this process in the same run (1.00x would mean reading costs nothing on top of
  hashing), and as a ratio to streaming the same object from the same S3 without hashing (`GET
  alone`: what the S3 server costs; near 1.00x means the check adds little to the read itself); peak Python memory of the step (tracemalloc, reset before it) for both sizes (flat means
  the same at 20 and 200 MiB), and the growth of the process's peak RSS during it.
- **fixity**: N captured components (64 KiB each, written straight to the table and bucket, not
  measured), then one fixity run with a budget that takes them all: seconds, components per second,
  and S3 / DynamoDB calls (per component).

Printed, never asserted. moto serves S3 from memory over HTTP on the same two cores: absolute MiB/s
are this machine's, the ratio to hashlib is the figure to compare.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import resource
import subprocess
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "records"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.coldstart import free_port  # noqa: E402
from bench.counting import counting  # noqa: E402

ORG, BUCKET, MIB = "org-bench", "records-bench-components", 1024 * 1024
BLOCK = hashlib.sha256(b"bench").digest() * (MIB // 32)  # 1 MiB of fixed bytes, repeated


# moto backs a transaction up by deep-copying every table it touches (seconds per transaction once the
# table holds thousands of items); the server here backs up only the items a transaction touches, as the
# local system and the tests do (infrastructure/moto_atomic.py).
_SERVER = """
import sys
sys.path.insert(0, sys.argv[2])
from infrastructure.moto_atomic import make_dynamodb_atomic
make_dynamodb_atomic()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"""


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", _SERVER, str(port), str(ROOT)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import socket
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def _chunks(size: int):
    left = size
    while left > 0:
        piece = BLOCK[:min(MIB, left)]
        left -= len(piece)
        yield piece


class _Stream:
    """The bytes of `_chunks(size)` as a file with a length: sent with Content-Length (as a browser sends
    a File), never held in memory whole."""

    def __init__(self, size: int) -> None:
        self.size, self._chunks, self._left = size, _chunks(size), b""

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._left) < n) and (chunk := next(self._chunks, None)) is not None:
            self._left += chunk
        out, self._left = (self._left, b"") if n < 0 else (self._left[:n], self._left[n:])
        return out


def _digest(size: int) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(size):
        digest.update(chunk)
    return digest.hexdigest()


def _hash_baseline(size: int) -> float:
    """Seconds to SHA-256 the same bytes in this process, 1 MiB at a time (the least of three)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        _digest(size)
        best = min(best, time.perf_counter() - began)
    return best


def _read_baseline(key: str, version: str) -> float:
    """Seconds to stream the same object from the same S3 without hashing it (what the server costs)."""
    import boto3
    s3 = boto3.client("s3")
    began = time.perf_counter()
    body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=version)["Body"]
    for _ in body.iter_chunks(MIB):
        pass
    return time.perf_counter() - began


def _caller():
    from shared.auth import Caller
    return Caller(user_id="u-bench", org_id=ORG, roles=frozenset({"archivist"}))


def _setup(url: str) -> tuple[str, str]:
    """The records table and bucket, one file and one item; their ids."""
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "records",
                       "RECORDS_BUCKET": BUCKET, "FIXITY_MAX_SECONDS": "3600"})
    import boto3
    from infrastructure import cfn
    from records.data import components as store, tables
    cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                     cfn.template()["Resources"]["RecordsTable"]["Properties"], "records")
    s3 = boto3.client("s3", endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    tables.TABLE.reset()
    store.reset_client()
    return _seed_item()


def _seed_item() -> tuple[str, str]:
    """One open file and item, written through records' own item mapping (not measured)."""
    from records.data import tables
    from records.domain.model import Access, Item, RecordFile, Rule
    stamp = "2026-01-01T00:00:00.000Z"
    file = RecordFile(org_id=ORG, id="bench-file", class_code="FIN-01", scheme_version=1, rule_version=1,
                      rule=Rule(retention="permanent", action="transfer"), title="Bench", producing_unit="Bench",
                      record_type="photo_film", electronic=True, access=Access("open"), created_at=stamp,
                      updated_at=stamp)
    item = Item(org_id=ORG, file_id=file.id, id="bench-item", registration_number="B-1", title="Scans",
                access=Access("open"), created_at=stamp, updated_at=stamp)
    tables.FileItem.of(file).save()
    tables.ItemItem.of(item).save()
    return file.id, item.id


def upload_and_verify(size: int, file_id: str, item_id: str) -> dict:
    import requests
    from records import logic
    caller = _caller()
    sha256 = _digest(size)
    upload = logic.request_upload(caller, file_id, item_id, {"filename": f"scan-{size // MIB}.tif",
                                                             "media_type": "image/tiff", "size": size,
                                                             "sha256": sha256}, None)
    instructions = upload["upload"]
    session = requests.Session()
    if instructions["method"] == "PUT":
        answer = session.put(instructions["url"], data=_Stream(size), headers=instructions["headers"])
        answer.raise_for_status()
        body = {}
    else:
        parts, offset = [], 0
        for part in instructions["parts"]:
            answer = session.put(part["url"], data=_Stream(part["size"]))
            answer.raise_for_status()
            parts.append({"part_number": part["part_number"], "etag": answer.headers["ETag"]})
            offset += part["size"]
        body = {"parts": parts}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    from records.data import components as store
    timed = {"assemble": 0.0, "read": 0.0}
    originals = store.finish_multipart, store.read_object

    def timing(name, fn):
        def run(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timed[name] += time.perf_counter() - began
        return run

    store.finish_multipart, store.read_object = timing("assemble", originals[0]), timing("read", originals[1])
    with counting() as calls:
        began = time.perf_counter()
        try:
            component = logic.complete_upload(caller, file_id, item_id, upload["id"], body)
        finally:
            store.finish_multipart, store.read_object = originals
        total = time.perf_counter() - began
    seconds = timed["read"]  # the check itself: stream the object and hash it
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert component.sha256 == sha256 and component.size == size
    hashing = _hash_baseline(size)
    reading = _read_baseline(component.object_key, component.object_version)
    return {"mib": size / MIB, "parts": len(body.get("parts", [])) or 1, "seconds": seconds, "total": total,
            "assemble": timed["assemble"],
            "mib_s": size / MIB / seconds, "hashlib_mib_s": size / MIB / hashing, "ratio": seconds / hashing,
            "read_mib_s": size / MIB / reading, "vs_read": seconds / reading,
            "peak_mib": (peak - base) / MIB, "rss_growth_mib": (rss_after - rss_before) / 1024,
            "s3": calls.others(), "dynamodb": calls.total()}


def fixity(n: int, file_id: str, item_id: str) -> dict:
    import boto3
    from records import logic
    from records.data import components as store
    from records.domain.components import Component, object_key
    s3 = boto3.client("s3")
    body = BLOCK[:64 * 1024]
    digest = hashlib.sha256(body).hexdigest()
    with store.ComponentItem.batch_write() as batch:
        for i in range(n):
            key = object_key(ORG, file_id, item_id, f"fx-{i:05d}")
            version = s3.put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"]
            batch.save(store.ComponentItem.of(Component(
                org_id=ORG, file_id=file_id, item_id=item_id, id=f"fx-{i:05d}", filename=f"p{i}.pdf",
                media_type="application/pdf", size=len(body), sha256=digest, object_key=key, object_version=version,
                captured_by="bench", captured_at=f"2020-01-01T00:00:{i % 60:02d}.{i:06d}Z",
                updated_at="2020-01-01T00:00:00.000Z")))
    os.environ.update({"FIXITY_MAX_COMPONENTS": str(n), "FIXITY_MAX_BYTES": str(n * len(body))})
    with counting() as calls:
        began = time.perf_counter()
        report = logic.run_fixity()
        seconds = time.perf_counter() - began
    return {"components": n, "checked": report["checked"], "failed": report["failed"], "seconds": seconds,
            "per_s": report["checked"] / seconds, "dynamodb": calls.by_operation(),
            "s3": {k: v for k, v in calls.others().items() if k.startswith("s3.")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mib", type=int, default=200)
    parser.add_argument("--fixity", type=int, default=1000)
    args = parser.parse_args(argv)
    process, url = _start_moto()
    try:
        file_id, item_id = _setup(url)
        rows = []
        print("upload-and-verify (the complete step: re-read from S3 and SHA-256)")
        print(f"{'MiB':>6} {'parts':>5} {'complete s':>10} {'assemble s':>10} {'verify s':>8} {'MiB/s':>7} {'hashlib MiB/s':>13} {'vs hashlib':>10} "
              f"{'peak MiB':>8} {'RSS +MiB':>8} {'GET alone MiB/s':>15} {'vs GET':>6}  calls", flush=True)
        for mib in (args.upload_mib // 10, args.upload_mib):
            print(f"upload and verify {mib} MiB ...", file=sys.stderr, flush=True)
            r = upload_and_verify(mib * MIB, file_id, item_id)
            rows.append(r)
            print(f"{r['mib']:>6.0f} {r['parts']:>5} {r['total']:>10.2f} {r['assemble']:>10.2f} "
                  f"{r['seconds']:>8.2f} {r['mib_s']:>7.1f} "
                  f"{r['hashlib_mib_s']:>13.1f} {r['ratio']:>9.2f}x {r['peak_mib']:>8.2f} {r['rss_growth_mib']:>8.1f} "
                  f"{r['read_mib_s']:>15.1f} {r['vs_read']:>5.2f}x  "
                  f"DynamoDB {r['dynamodb']}, {r['s3']}", flush=True)
        small, large = rows
        print(f"peak memory {large['mib']:.0f} MiB / {small['mib']:.0f} MiB: {large['peak_mib'] / small['peak_mib']:.2f}x "
              f"(flat: ~1.00x while the size grew {large['mib'] / small['mib']:.0f}x)")
        print(flush=True)
        print(f"fixity over {args.fixity} components ...", file=sys.stderr, flush=True)
        run = fixity(args.fixity, file_id, item_id)
    finally:
        process.kill()
        process.wait(timeout=10)
    print("fixity run")
    ddb_total = sum(run["dynamodb"].values())
    s3_total = sum(run["s3"].values())
    print(f"{run['components']} components: {run['checked']} checked, {run['failed']} failed in {run['seconds']:.1f} s "
          f"({run['per_s']:.0f}/s); S3 {s3_total} ({s3_total / run['checked']:.2f}/component) {run['s3']}; "
          f"DynamoDB {ddb_total} ({ddb_total / run['checked']:.3f}/component) {run['dynamodb']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
