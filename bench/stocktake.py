"""Stock-take at scale: does the count's memory stay flat and its time grow linearly with the boxes?

    .venv/bin/python -m bench.stocktake                 # 10,000 and 100,000 expected boxes
    .venv/bin/python -m bench.stocktake --sizes 2000,20000

For each size: a fresh moto server in its own process (so this process's memory is the job's
alone), inventory's table from template.yaml, N expected boxes in the holdings read model over
20 ranges (written through inventory's own item mapping; seeding is not measured), scans for
95 % of them (1 % on the wrong shelf) plus 1 % unknown barcodes, and a campaign in `counting`.
Then the count runs exactly as the state machine drives it, in process: `compare_page` page by
page for every range, then `sweep_page` page by page. Measured: wall time, peak Python memory of
the job (tracemalloc, reset before the job), DynamoDB calls. Printed, never asserted.

Time includes moto, whose in-memory query walks the whole index partition on every page (DynamoDB
does not); the calls per 1,000 boxes are the figure that carries over to DynamoDB.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import socket
import subprocess
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "inventory"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

ORG, REPO, RANGES = "org-bench", "R01", 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Two of moto's costs would measure moto, not the count, and grow with the table: it backs a
# transaction up by deep-copying every table it touches (seconds per transaction at 100,000 items),
# and a query walks every item of the table to find its partition. The server used here backs up
# only the items a transaction touches (infrastructure/moto_atomic.py, as the local system and the
# tests do) and looks a query's partition up by key, as DynamoDB does: a base-table partition
# directly, an index partition from a map built on first use and dropped when an item carrying that
# index's key is written (during a count only results, receipts and counters are written: none does).
_SERVER = """
import sys
sys.path.insert(0, sys.argv[2])
from infrastructure.moto_atomic import make_dynamodb_atomic
make_dynamodb_atomic()
from moto.dynamodb.models.table import Table

_query = Table.query

_index_partitions = {}
_put_item = Table.put_item


def _put(self, item_attrs, *args, **kwargs):
    if "gsi1pk" in item_attrs:
        _index_partitions.clear()
    return _put_item(self, item_attrs, *args, **kwargs)


def _partition_query(self, hash_key, *args, **kwargs):
    index_name = kwargs.get("index_name") or (args[6] if len(args) > 6 else None)
    if hash_key is None:
        return _query(self, hash_key, *args, **kwargs)
    if index_name:
        if not _index_partitions:
            for item in self.all_items():
                value = item.attrs.get("gsi1pk")
                if value is not None:
                    _index_partitions.setdefault((self.name, value.value), []).append(item)
        partition = _index_partitions.get((self.name, hash_key.value), [])
    else:
        partition = list(self.items.get(hash_key, {}).values())
    self.all_items = lambda: partition
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items

Table.put_item = _put
Table.query = _partition_query
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"""


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", _SERVER, str(port), str(ROOT)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def _shelf(i: int) -> str:
    return f"{REPO}-{i % RANGES + 1:02d}-{i // RANGES % 10 + 1:02d}-{i // (RANGES * 10) % 5 + 1}"


def _seed(n: int, campaign_id: str) -> None:
    from inventory.data import tables as t
    from inventory.domain.model import Campaign, Scope, range_of
    with t.HoldingItem.batch_write() as holdings, t.BarcodeItem.batch_write() as barcodes, \
            t.SeenItem.batch_write() as seen:
        for i in range(n):
            box_id, barcode, home = f"box-{i:06d}", f"BC{i:06d}", _shelf(i)
            holdings.save(t.HoldingItem(pk=t.holding_key(ORG, box_id), sk="HOLDING", org_id=ORG, box_id=box_id,
                                        barcode=barcode, status="shelved", home_id=home, version=2,
                                        gsi1pk=t.holdings_index_key(ORG, range_of(home)),
                                        gsi1sk=f"{home}#{box_id}"))
            barcodes.save(t.BarcodeItem(pk=t.barcode_key(ORG, barcode), sk="BOX", box_id=box_id, home_id=home,
                                        status="shelved", version=2))
            if i % 20:  # 95 % found, one in a hundred of them on the neighbouring shelf
                where = _shelf(i + 1) if i % 100 == 1 else home
                seen.save(t.SeenItem(pk=t.seen_key(ORG, campaign_id), sk=barcode, location_id=where, session_id="s"))
        for j in range(n // 100):
            seen.save(t.SeenItem(pk=t.seen_key(ORG, campaign_id), sk=f"ZZ{j:06d}", location_id=_shelf(j),
                                 session_id="s"))
    with t.RangeItem.batch_write() as ranges:
        for r in range(1, RANGES + 1):
            ranges.save(t.RangeItem(pk=t.ranges_key(ORG, REPO), sk=f"RANGE#{REPO}-{r:02d}", range_id=f"{REPO}-{r:02d}"))
    t.CampaignItem.of(Campaign(org_id=ORG, id=campaign_id, name="bench", scope=Scope(REPO), status="counting", run=1,
                               created_by="bench", created_at="2026-01-01T00:00:00.000Z",
                               updated_at="2026-01-01T00:00:00.000Z")).save()


def run_size(n: int) -> dict:
    process, url = _start_moto()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "inventory"})
        import boto3
        from infrastructure import cfn
        from inventory import logic
        from inventory.data import campaigns as store, tables
        from inventory.domain import reports
        cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                         cfn.template()["Resources"]["InventoryTable"]["Properties"], "inventory")
        tables.TABLE.reset()  # bind to this run's moto server
        calls = {"n": 0}
        conn = tables.TABLE.connection()
        conn.client.meta.events.register("before-send.dynamodb.*", lambda **_: calls.__setitem__("n", calls["n"] + 1))
        started = time.perf_counter()
        _seed(n, "bench-campaign")
        seeded = time.perf_counter() - started

        calls["n"] = 0
        tracemalloc.start()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        began = time.perf_counter()
        pages = 0
        for part in logic.begin_count(ORG, "bench-campaign", 1)["parts"]:
            cursor, page, done = None, 0, False
            while not done:
                out = logic.compare_page(ORG, "bench-campaign", 1, part["part"], cursor, page)
                cursor, page, done = out["cursor"], out["page"], out["done"]
                pages += 1
        cursor, page, done = None, 0, False
        while not done:
            out = logic.sweep_page(ORG, "bench-campaign", 1, cursor, page)
            cursor, page, done = out["cursor"], out["page"], out["done"]
            pages += 1
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        totals = reports.totals(store.counters(ORG, "bench-campaign", 1))
        return {"boxes": n, "pages": pages, "seconds": elapsed, "seed_seconds": seeded,
                "peak_mib": (peak - base) / 2**20, "calls": calls["n"], "totals": totals}
    finally:
        process.kill()  # werkzeug's server does not stop on SIGTERM while it has open connections
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args(argv)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"counting {n} boxes ...", file=sys.stderr, flush=True)
        rows.append(run_size(n))
    print(f"{'boxes':>8} {'pages':>6} {'count s':>8} {'s/1k':>6} {'peak MiB':>9} {'calls':>7} {'calls/1k':>8}  totals")
    for r in rows:
        print(f"{r['boxes']:>8} {r['pages']:>6} {r['seconds']:>8.1f} {r['seconds'] / r['boxes'] * 1000:>6.2f} "
              f"{r['peak_mib']:>9.2f} {r['calls']:>7} {r['calls'] / r['boxes'] * 1000:>8.1f}  {r['totals']}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"\n{b['boxes'] // a['boxes']}x the boxes: time x{b['seconds'] / a['seconds']:.1f}, "
              f"peak memory x{b['peak_mib'] / a['peak_mib']:.2f}, DynamoDB calls x{b['calls'] / a['calls']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
