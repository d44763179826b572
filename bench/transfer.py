"""Transfer: a bag of N files / N x C small components packaged (the transfer's part) and verified.

    .venv/bin/python -m bench.transfer                    # 1,000 files, 10 components each (10,000)
    .venv/bin/python -m bench.transfer --files 200 --components 10

A moto server in its own process (so tracemalloc is this process's alone) with the transfer table from
template.yaml and a packages bucket. For a quarter of the files and then all of them:
- the payload records' `package_files` would write (file.json, item.json and C components of 2 KiB per
  file, straight to S3: records' step, not measured), and audit's history file per file;
- **package**: transfer's own part, as the saga runs it: `record_entries` once per page of 25 files (the
  entries kept in the table), then `finish_bag` (the manifest streamed from the table, the EAD3 description
  written to a temporary file and validated against the schema, bag-info, tag manifest);
- **verify**: `verify_bag` (every tag file and every payload object hashed from the bag alone, 8 at once,
  completeness and Payload-Oxum).
Reported: seconds of each, verify throughput in MiB/s and as a ratio to hashing the same bytes with
`hashlib` in this process in the same run (1.00x: reading costs nothing on top of hashing), and verify's
time as a ratio to GETting and hashing every object of the bag from the same emulator, 8 at once (small
objects: the per-request cost dominates, so this is the floor verify can reach here), DynamoDB and S3
calls per file, and peak Python memory (tracemalloc) of package and verify at both sizes (flat: the same
at N/4 and N). Printed, never asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "transfer"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.components import _start_moto  # noqa: E402
from bench.counting import counting  # noqa: E402

ORG, BUCKET, KIB = "org-bench", "transfer-bench-packages", 1024


def _setup(url: str) -> None:
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "transfer",
                       "TRANSFER_BUCKET": BUCKET, "POWERTOOLS_METRICS_NAMESPACE": "Bench"})
    import boto3
    from infrastructure import cfn
    from transfer.data import tables
    cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                     cfn.template()["Resources"]["TransferTable"]["Properties"], "transfer")
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    tables.TABLE.reset()


def _component(file_no: int, n: int) -> bytes:
    return (f"file {file_no} component {n} ".encode() * 200)[:2 * KIB]


def _seed(transfer_id: str, files: int, components: int) -> tuple[list[dict], int]:
    """The transfer (packaging) and, per page, what records and audit would return; the payload in S3."""
    import boto3
    from concurrent.futures import ThreadPoolExecutor
    from transfer.data import packages, transfers
    from transfer.domain import rules
    from transfer.domain.model import Page, Transfer, TransferFile
    from transfer.logic.common import event
    ids = [f"F{i:05d}" for i in range(files)]
    pages = rules.pages(ids)
    prefix = packages.bag_prefix(ORG, transfer_id)
    t = Transfer(org_id=ORG, id=transfer_id, role="sender", kind="to_archive", sender_org=ORG,
                 receiver_org="org-archive", title="bench", file_count=files, page_count=len(pages),
                 created_by="bench", created_at="2026-01-01T00:00:00Z", status="packaging", bucket=BUCKET,
                 prefix=prefix)
    transfers.create(t, [TransferFile(ORG, transfer_id, f, n, title=f"File {f}") for n, p in enumerate(pages)
                         for f in p], [Page(ORG, transfer_id, n, p) for n, p in enumerate(pages)],
                     event("TransferCreated", [], {}, {"user_id": "bench"}), claims=False)
    s3 = boto3.client("s3")
    steps, octets = [], 0

    def put(path: str, data: bytes) -> dict:
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path}", Body=data)
        return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    with ThreadPoolExecutor(8) as pool:
        for n, page in enumerate(pages):
            jobs = []
            for f in page:
                i = int(f[1:])
                jobs.append((f"data/files/{f}/file.json", json.dumps({"id": f}).encode()))
                jobs.append((f"data/files/{f}/items/i1/item.json", json.dumps({"id": "i1"}).encode()))
                jobs += [(f"data/files/{f}/items/i1/components/c{c}/part-{c}.txt", _component(i, c))
                         for c in range(components)]
            history = [(f"data/history/record_file-{f}.json", json.dumps({"entity": f}).encode()) for f in page]
            package = list(pool.map(lambda j: put(*j), jobs))
            logs = list(pool.map(lambda j: put(*j), history))
            octets += sum(e["size"] for e in package + logs)
            steps.append({"step": "record_entries", "org_id": ORG, "transfer_id": transfer_id, "page": n,
                          "package": {"entries": package, "refused": []}, "history": {"entries": logs}})
    return steps, octets


def _measured(action):
    tracemalloc.start()
    tracemalloc.reset_peak()
    with counting() as calls:
        began = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, calls, peak


def _hash_baseline(files: int, components: int) -> float:
    """Seconds to SHA-256 the same component bytes in this process (the least of three)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for i in range(files):
            for c in range(components):
                hashlib.sha256(_component(i, c)).hexdigest()
        best = min(best, time.perf_counter() - began)
    return best


def _s3_baseline(transfer_id: str) -> None:
    """Seconds to GET and SHA-256 every object of the bag from the same emulator, 8 at once, as verify does:
    the floor per-object reads put under verify on this machine."""
    import boto3
    from concurrent.futures import ThreadPoolExecutor
    from transfer.data import packages
    s3 = boto3.client("s3")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=packages.bag_prefix(ORG, transfer_id) + "/") for o in page.get("Contents", [])]

    def read(key: str) -> str:
        return hashlib.sha256(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(read, keys))


def run(files: int, components: int) -> dict:
    from transfer import logic
    tid = f"bench-{files}-{components}"
    steps, octets = _seed(tid, files, components)

    def package():
        for step in steps:
            logic.record_entries(step)
        return logic.finish_bag({"org_id": ORG, "transfer_id": tid})

    bag, package_s, package_calls, package_peak = _measured(package)
    verified, verify_s, verify_calls, verify_peak = _measured(
        lambda: logic.verify_bag({"org_id": ORG, "transfer_id": tid}))
    assert verified["status"] == "awaiting_inspection", verified
    hash_s = _hash_baseline(files, components)
    _, s3_s, _, _ = _measured(lambda: _s3_baseline(tid))  # under tracemalloc too, as verify was: a fair ratio
    component_bytes = files * components * 2 * KIB
    return {"files": files, "objects": bag["files"], "MiB": octets / KIB / KIB, "package s": package_s,
            "verify s": verify_s, "verify MiB/s": octets / KIB / KIB / verify_s,
            "hashlib MiB/s": component_bytes / KIB / KIB / hash_s, "s3 alone s": s3_s,
            "ddb calls/file (package)": package_calls.total("dynamodb") / files,
            "s3 calls/file (package)": package_calls.total("s3") / files,
            "ddb calls/file (verify)": verify_calls.total("dynamodb") / files,
            "s3 calls/file (verify)": verify_calls.total("s3") / files,
            "package peak MiB": package_peak / KIB / KIB, "verify peak MiB": verify_peak / KIB / KIB}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--components", type=int, default=10)
    args = parser.parse_args(argv)
    process, url = _start_moto()
    try:
        _setup(url)
        rows = [run(max(1, args.files // 4), args.components), run(args.files, args.components)]
    finally:
        process.kill()
    for row in rows:
        print(f"{row['files']:>5} files, {row['objects']:>6} payload objects, {row['MiB']:.1f} MiB: "
              f"package {row['package s']:.1f} s, verify {row['verify s']:.1f} s "
              f"({row['verify MiB/s']:.2f} MiB/s = {row['verify MiB/s'] / row['hashlib MiB/s']:.4f}x hashlib's "
              f"{row['hashlib MiB/s']:.0f} MiB/s on the same bytes; {row['verify s'] / row['s3 alone s']:.2f}x "
              f"the {row['s3 alone s']:.1f} s of reading and hashing every object of the bag, 8 at once)")
        print(f"      calls per file: package {row['ddb calls/file (package)']:.2f} DynamoDB + "
              f"{row['s3 calls/file (package)']:.2f} S3; verify {row['ddb calls/file (verify)']:.2f} DynamoDB + "
              f"{row['s3 calls/file (verify)']:.2f} S3; peak Python memory: package "
              f"{row['package peak MiB']:.1f} MiB, verify {row['verify peak MiB']:.1f} MiB")
    small, large = rows
    print(f"peak memory at {large['files']} files / at {small['files']}: package "
          f"{large['package peak MiB'] / small['package peak MiB']:.2f}x, verify "
          f"{large['verify peak MiB'] / small['verify peak MiB']:.2f}x (flat: near 1x for 4x the files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
