"""Plain-text rendering of the bench results: one table per section and a summary."""
from __future__ import annotations

import statistics
from typing import Any, Iterable, Sequence

from bench.counting import describe


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """A fixed-width table; columns whose index is in `right` are right-aligned (numbers)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def heading(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _calls(calls: dict[str, int] | None) -> str:
    if calls is None:
        return "?"
    return ", ".join(f"{k.split('.', 1)[-1] if k.startswith('dynamodb.') else k} {v}" for k, v in calls.items()) or "-"


# ------------------------------------------------------------------ section 1
def cold_starts(result: dict[str, Any]) -> str:
    base = result["baseline"]
    rows = [["baseline (boto3 only)", _ms(base.get("import_ms")), _ms(base.get("first_ms")), _ms(base.get("cold_ms")),
             "1.00x", _ms(base.get("cold_cpu_ms")), "1.00x", _ms(base.get("warm_ms")), _ms(base.get("process_ms")),
             "1.00x", _calls(base.get("first_calls")), "(1 before)", ""]]
    events, notes = [], []
    for name, row in result["functions"].items():
        outcome = str(row.get("status") or "")
        if row.get("error"):
            outcome = "raised"
            notes.append(f"  {name}: first invocation raised {row['error'].strip()}")
            if row["error"].startswith("UnexpectedBatchTypeError"):
                notes.append("    (Powertools refuses an empty batch, which Lambda never sends: the figure is the"
                             " handler's decorators up to that check)")
        for failure in row.get("failed", []):
            notes.append(f"  {name}: run failed: {failure}")
        rows.append([name, _ms(row.get("import_ms")), _ms(row.get("first_ms")), _ms(row.get("cold_ms")),
                     _x(row.get("cold_ratio")), _ms(row.get("cold_cpu_ms")), _x(row.get("cold_cpu_ratio")),
                     _ms(row.get("warm_ms")), _ms(row.get("process_ms")),
                     _x(row.get("process_ratio")), _calls(row.get("first_calls")), _calls(row.get("first_clients")),
                     outcome])
        events.append([name, row["handler"], row["event"]])
    out = [heading(f"1. Cold start per function (median of {result['repetitions']} fresh processes, ms)"),
           table(["function", "import", "1st call", "import+1st", "vs base", "cpu", "vs base", "2nd call", "process",
                  "vs base", "AWS calls in 1st call", "clients made", "status"], rows, right=range(1, 10)),
           "import+1st = handler module import + first invocation; process = whole interpreter, start to exit;",
           "cpu = CPU time of import+1st in the function's own process, least of the runs: unlike wall time,",
           "barely touched by whatever else the machine runs (it leaves out waiting for DynamoDB, as for the baseline);",
           "vs base = ratio to the baseline process (import boto3, make a DynamoDB client, one list_tables);",
           "clients made = botocore clients created during the first call (each parses the service model again).",
           "", table(["function", "handler", "first event"], events)]
    if notes:
        out += ["Notes:"] + notes
    profile_rows = [[name, ", ".join(f"{pkg} {ms:.0f}" for pkg, ms in row.get("heaviest_imports", []))]
                    for name, row in [("baseline", base), *result["functions"].items()]]
    out += ["", "Heaviest imports (one run under `python -X importtime`, self time per top-level package, ms;",
            "importtime inflates absolute figures, compare them with each other):",
            table(["function", "packages"], profile_rows)]
    return "\n".join(out)


# ------------------------------------------------------------------ section 2
def calls(result: dict[str, Any],
          title: str = "2. DynamoDB calls per operation (in process, moto; Cognito and saga starts stubbed)") -> str:
    out = [heading(title)] if title else []
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in result["rows"]:
        groups.setdefault(row["group"], []).append(row)
    for group, rows in groups.items():
        out.append(f"\n{group}")
        out.append(table(
            ["operation", "status", "DynamoDB calls", "by operation", "other AWS calls", "ms"],
            [[r["operation"], _status(r), r["dynamodb_total"], describe(r["dynamodb"]),
              describe(r["other_calls"]), _ms(r["ms"])] for r in rows], right=(2, 5)))
    out.append("calls = botocore API calls (retries not counted); ms is in-process against moto, for orientation only.")
    return "\n".join(out)


def _status(row: dict[str, Any]) -> str:
    if row["error"]:
        return f"ERROR {row['error']}"
    status = "-" if row["status"] is None else str(row["status"])
    if not row["ok"]:
        status += f" (expected {row['expected']}!)"
    return status


# ------------------------------------------------------------------ section 3
def growth(result: dict[str, Any]) -> str:
    rows = []
    for c in result["comparisons"]:
        s, l = c["small_result"], c["large_result"]
        rows.append([c["name"], c["small"], s["items"], _ms(s["median_ms"]), s["dynamodb_total"], c["large"], l["items"],
                     _ms(l["median_ms"]), l["dynamodb_total"], _x(c["time_ratio"]), _x(c["calls_ratio"])])
    return "\n".join([
        heading(f"3. Cost growth with data (median of {result['repetitions']} requests, in process against moto)"),
        table(["request", "small", "items", "ms", "calls", "large", "items", "ms", "calls", "time ratio", "calls ratio"],
              rows, right=(2, 3, 4, 6, 7, 8, 9, 10)),
        "ratio = large / small; items = entries on the page returned. Bounded pages should stay near 1.00x in calls;",
        "moto sorts whole partitions, so time can drift with data even when DynamoDB would not.",
        "verify=true recomputes the whole chain, so it grows by design."])


# ------------------------------------------------------------------ section 4
def gateway(result: dict[str, Any]) -> str:
    out = [heading("4. Local gateway overhead per request")]
    if not result.get("available"):
        out.append(f"local system not available: {result.get('reason')}")
        return "\n".join(out)
    rows = [[m["name"], m.get("status"), _ms(m.get("median_ms")), _ms(m.get("p90_ms")), m.get("n")]
            for m in result["measurements"]]
    out.append(table(["request", "status", "median ms", "p90 ms", "n"], rows, right=(2, 3, 4)))
    for line in result.get("overheads", []):
        out.append(line)
    for note in result.get("notes", []):
        out.append(f"note: {note}")
    return "\n".join(out)


# --------------------------------------------------------------------- summary
def shelving(result: dict[str, Any]) -> str:
    out = [heading("5. Stacks, circulation and inventory (in process, moto; state machines really execute)")]
    out.append(calls({"rows": result["rows"]}, title=""))
    out.append("\nbulk placement (POST /placements/bulk, new boxes onto empty shelves)")
    out.append(table(["boxes", "status", "placed", "ms", "boxes/s", "DynamoDB calls", "per box", "ms per box vs first"],
                     [[r["boxes"], r["error"] or r["status"], (r["summary"] or {}).get("placed", "-"), _ms(r["ms"]),
                       r["boxes_per_s"], r["dynamodb_total"], r["dynamodb_per_box"], _x(r["ms_per_box_ratio"])]
                      for r in result["bulk"]], right=(0, 2, 3, 4, 5, 6, 7)))
    out.append("\nstate machines (route answered 202, then the execution measured on its own)")
    out.append(table(["saga", "end", "states", "DynamoDB calls", "route ms", "steps ms", "end-to-end ms",
                      "end-to-end vs work"],
                     [[r["saga"], r["status"], r["state_transitions"], r["dynamodb_total"], _ms(r["api_ms"]),
                       _ms(r["steps_ms"]), _ms(r["end_to_end_ms"]), _x(r["orchestration_ratio"])]
                      for r in result["sagas"]], right=(2, 3, 4, 5, 6, 7)))
    for r in result["sagas"]:
        steps = ", ".join(f"{i['step']} {sum(i['dynamodb'].values())}" + (" ERR" if i["error"] else "")
                          for i in r["invocations"])
        out.append(f"  {r['saga']}: {' → '.join(r['states'])}\n    DynamoDB calls per step: {steps}")
    out.append("end-to-end = route call to the execution's end (moto's interpreter and the polling included); "
               "'vs work' divides it by the route's and the steps' own time.")
    return "\n".join(out)


def summary(results: dict[str, Any]) -> str:
    lines = [heading("Summary")]
    cold = results.get("cold_start")
    if cold and "functions" in cold:
        fns = {k: v for k, v in cold["functions"].items() if v.get("cold_ratio")}
        if fns:
            worst = max(fns, key=lambda k: fns[k]["cold_ms"])
            lines.append(f"cold start: baseline {_ms(cold['baseline'].get('cold_ms'))} ms; functions "
                         f"{_x(min(v['cold_ratio'] for v in fns.values()))}-{_x(max(v['cold_ratio'] for v in fns.values()))} of it "
                         f"(median {_x(statistics.median(v['cold_ratio'] for v in fns.values()))}); slowest {worst} "
                         f"{_ms(fns[worst]['cold_ms'])} ms")
            cpu = {k: v["cold_cpu_ratio"] for k, v in fns.items() if v.get("cold_cpu_ratio")}
            if cpu:
                lines.append(f"cold start CPU: baseline {_ms(cold['baseline'].get('cold_cpu_ms'))} ms; functions "
                             f"{_x(min(cpu.values()))}-{_x(max(cpu.values()))} of it "
                             f"(median {_x(statistics.median(cpu.values()))}); highest {max(cpu, key=cpu.get)}")
            xray = [k for k, v in fns.items() if "aws_xray_sdk" in (v.get("packages") or [])]
            lines.append(f"X-Ray SDK loaded by: {', '.join(xray) if xray else 'no function'}")
            many = [f"{k} ({describe(v['first_clients'])})" for k, v in fns.items()
                    if sum((v.get("first_clients") or {}).values()) > 1]
            if many:
                lines.append(f"first calls creating more than one botocore client: {', '.join(many)}")
            heavy: dict[str, float] = {}
            for v in fns.values():
                for pkg, ms in v.get("heaviest_imports", [])[:1]:
                    heavy[pkg] = heavy.get(pkg, 0) + 1
            if heavy:
                top = max(heavy, key=heavy.get)
                lines.append(f"heaviest import: {top} (top package in {int(heavy[top])} of {len(fns)} functions)")
    elif cold:
        lines.append(f"cold start: {cold.get('failed')}")
    calls_result = results.get("dynamodb_calls")
    if calls_result and "rows" in calls_result:
        api = [r for r in calls_result["rows"] if r["group"] == "identity API" and not r["operation"].startswith("first")]
        if api:
            most = max(api, key=lambda r: r["dynamodb_total"])
            lines.append(f"identity API: {min(r['dynamodb_total'] for r in api)}-{most['dynamodb_total']} DynamoDB calls "
                         f"per request (most: {most['operation']}: {describe(most['dynamodb'])})")
        bad = [r for r in calls_result["rows"] if not r["ok"]]
        lines.append(f"unexpected answers: {len(bad)}" + (f" ({', '.join(r['operation'] for r in bad)})" if bad else ""))
    elif calls_result:
        lines.append(f"DynamoDB calls: {calls_result.get('failed')}")
    grow = results.get("growth")
    if grow and "comparisons" in grow:
        for c in grow["comparisons"]:
            lines.append(f"growth {c['name']}: {c['small']} -> {c['large']}: time {_x(c['time_ratio'])}, "
                         f"calls {_x(c['calls_ratio'])}")
    elif grow:
        lines.append(f"growth: {grow.get('failed')}")
    gw = results.get("gateway")
    if gw:
        if gw.get("available"):
            lines.extend(f"gateway: {line.strip()}" for line in gw.get("overheads", [])[:2])
        else:
            lines.append(f"gateway: local system not available: {gw.get('reason')}")
    return "\n".join(lines)
