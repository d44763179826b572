"""How the audit checkpoint and verification jobs grow with the number of chains.

    .venv/bin/python bench/checkpoints.py [--sizes 200,1000,10000] [--events 2] [--full-up-to 200]

In process against moto (`mock_aws`): the audit table, signing key and locked bucket
built from template.yaml, N chains of `--events` entries each written directly (as the
consumer writes them). For each N it times, and counts the DynamoDB / S3 / KMS calls of:

- first checkpoint: every chain is new, so each is recomputed from entry 1;
- idle checkpoint: nothing changed (no object is written);
- checkpoint after 1 % of the chains grew by one event: only those are read again;
- verify one chain (`?verify=true` path, warm): the chain plus one S3 LIST;
- verification job: every chain recomputed from entry 1, report written.

Figures are wall-clock on this machine against moto, whose Query sorts the whole table
on every call (O(items in the table), where DynamoDB's is O(items returned)): the call
counts are what AWS bills and what grows; the seconds only compare rows of one run. So
the two steps that query every chain (first checkpoint, verification job) run only up to
`--full-up-to` chains; above it the first checkpoint is written directly from the seeded
heads (same statement, signature and object) and those two rows say "skipped".
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
sys.path.insert(1, str(ROOT / "functions" / "audit"))

os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "TABLE_NAME": "audit", "CHECKPOINT_BUCKET": "audit-checkpoints",
                   "POWERTOOLS_METRICS_DISABLED": "true", "LOG_LEVEL": "WARNING", "POWERTOOLS_LOG_LEVEL": "WARNING"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.counting import counting  # noqa: E402
from infrastructure import cfn  # noqa: E402


def _world() -> None:
    resources = cfn.template()["Resources"]
    ddb, s3, kms = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("kms")
    cfn.create_table(ddb, resources["AuditTable"]["Properties"], "audit")
    key = resources["AuditSigningKey"]["Properties"]
    os.environ["SIGNING_KEY_ID"] = kms.create_key(KeySpec=key["KeySpec"], KeyUsage=key["KeyUsage"])["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="audit-checkpoints", ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket="audit-checkpoints", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket="audit-checkpoints", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    from audit.data import anchors, chains
    from audit.data.tables import TABLE
    TABLE.reset()
    chains._ddb.cache_clear()
    anchors.forget()


def _seed(n: int, events: int) -> None:
    """N chains, written item by item as the consumer's transaction leaves them (head, entries)."""
    from audit.data.chains import head_shard
    from audit.domain.chain import GENESIS, link
    ddb, items = boto3.client("dynamodb"), []
    for c in range(n):
        pk, prev = f"ENTITY#org-{c % 7}#box-{c:06d}", GENESIS
        for seq in range(1, events + 1):
            event = {"id": f"e-{c}-{seq}", "type": "BoxMoved", "payload": {"n": seq}}
            digest = link(prev, seq, event)
            items.append({"pk": {"S": pk}, "sk": {"S": f"SEQ#{seq:012d}"}, "seq": {"N": str(seq)},
                          "prev_hash": {"S": prev}, "hash": {"S": digest}, "event": {"S": json.dumps(event)}})
            prev = digest
        items.append({"pk": {"S": pk}, "sk": {"S": "HEAD"}, "seq": {"N": str(events)}, "hash": {"S": prev},
                      "kind": {"S": "box"}, "head_shard": {"S": head_shard(pk)}})
    for start in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={"audit": [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})


def _grow(fraction: float, n: int, events: int) -> int:
    """One more event on every 1/fraction-th chain, written as the consumer's transaction leaves it."""
    from audit.data.chains import head_shard
    from audit.domain.chain import link
    ddb = boto3.client("dynamodb")
    grown = max(1, int(n * fraction))
    for c in range(0, n, n // grown):
        pk = f"ENTITY#org-{c % 7}#box-{c:06d}"
        head = ddb.get_item(TableName="audit", Key={"pk": {"S": pk}, "sk": {"S": "HEAD"}})["Item"]
        seq, prev = int(head["seq"]["N"]) + 1, head["hash"]["S"]
        event = {"id": f"late-{c}", "type": "BoxMoved", "payload": {}}
        digest = link(prev, seq, event)
        ddb.batch_write_item(RequestItems={"audit": [
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": f"SEQ#{seq:012d}"}, "seq": {"N": str(seq)},
                                     "prev_hash": {"S": prev}, "hash": {"S": digest},
                                     "event": {"S": json.dumps(event)}}}},
            {"PutRequest": {"Item": head | {"seq": {"N": str(seq)}, "hash": {"S": digest},
                                            "head_shard": {"S": head_shard(pk)}}}}]})
    return grown


def _measure(action) -> dict[str, Any]:
    with counting() as calls:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "dynamodb": calls.total("dynamodb"), "s3": calls.total("s3"),
            "kms": calls.total("kms"), "result": result}


def _checkpoint_seeded_heads() -> dict[str, Any]:
    """The first checkpoint without recomputing every chain: the seeded heads, signed and stored."""
    from audit.data import anchors, chains
    from audit.domain import checkpoint as rules
    heads = chains.all_heads()
    stmt = rules.statement(1, "2026-01-01T00:00:00Z", rules.FIRST_PREVIOUS, heads)
    signature, key_id = anchors.sign(rules.signed_bytes(stmt))
    anchors.put(rules.object_key(anchors.CHECKPOINTS, 1), rules.document(stmt, heads, signature, key_id, []))
    return {"written": True, "sequence": 1}


SKIPPED = {"seconds": None, "dynamodb": None, "s3": None, "kms": None, "result": "skipped"}


def run(sizes: tuple[int, ...], events: int, full_up_to: int = 200) -> list[dict[str, Any]]:
    from audit import logic
    from audit.data import anchors
    from shared.auth import caller_from_claims
    from infrastructure.aws_events import claims
    rows = []
    for n in sizes:
        with mock_aws():
            _world()
            seeded = time.perf_counter()
            _seed(n, events)
            print(f"seeded {n} chains in {time.perf_counter() - seeded:.0f} s", file=sys.stderr)
            full = n <= full_up_to
            first = _measure(logic.take_checkpoint) if full else (_checkpoint_seeded_heads(), SKIPPED)[1]
            idle = _measure(logic.take_checkpoint)
            grown = _grow(0.01, n, events)
            after = _measure(logic.take_checkpoint)
            size = boto3.client("s3").head_object(Bucket="audit-checkpoints", Key=after["result"]["object"])["ContentLength"]
            auditor = caller_from_claims(claims("u", "org-0", ["auditor"]))
            logic.entity_history(auditor, "box-000000", 10, None, True)  # warm the per-environment caches
            one = _measure(lambda: logic.entity_history(auditor, "box-000000", 10, None, True)["verification"]["valid"])
            verify = _measure(lambda: len(logic.verify_all()["broken"])) if full else SKIPPED
            anchors.forget()
            rows.append({"chains": n, "events_per_chain": events, "grown": grown, "checkpoint_bytes": size,
                         "first": first, "idle": idle, "after_growth": after, "verify_one": one, "verify_job": verify})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'chains':>7} {'step':<28} {'seconds':>8} {'DynamoDB':>9} {'S3':>4} {'KMS':>4}"]
    steps = (("first", "first checkpoint (all new)"), ("idle", "idle checkpoint (no change)"),
             ("after_growth", "checkpoint after 1% grew"), ("verify_one", "verify one chain (warm)"),
             ("verify_job", "verification job (all)"))
    for row in rows:
        for key, label in steps:
            m = row[key]
            if m["seconds"] is None:
                lines.append(f"{row['chains']:>7} {label:<28} {'skipped (moto Query is O(table))':>27}")
                continue
            lines.append(f"{row['chains']:>7} {label:<28} {m['seconds']:>8.2f} {m['dynamodb']:>9} {m['s3']:>4} {m['kms']:>4}")
        lines.append(f"{row['chains']:>7} {'checkpoint object':<28} {row['checkpoint_bytes'] / 1024:>7.0f}K")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,10000")
    parser.add_argument("--events", type=int, default=2)
    parser.add_argument("--full-up-to", type=int, default=200)
    args = parser.parse_args(argv)
    rows = run(tuple(int(s) for s in args.sizes.split(",")), args.events, args.full_up_to)
    print(table(rows))
    out = ROOT / "bench" / "results" / "checkpoints.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
