"""Run the benchmarks and print the report (`make bench`; `--quick` for fewer repetitions).

    .venv/bin/python bench/run.py [--quick] [--only cold,calls,growth,shelving,gateway]

Prints plain-text tables to stdout (progress goes to stderr) and writes the same
results as JSON to bench/results/latest.json. Every figure is set against a
baseline measured in this run; nothing here judges a speed as passing or failing.
"""
from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import platform
import subprocess
import sys
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/; put the repo root there instead so the
# bench's own modules are reached as `bench.*` and shadow nothing.
sys.path[0] = str(ROOT)

from bench import report  # noqa: E402

SECTIONS = ("cold", "calls", "growth", "shelving", "gateway")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settings(quick: bool) -> dict:
    return {
        "cold_repetitions": 2 if quick else 5,
        "growth_repetitions": 5 if quick else 20,
        "gateway_repetitions": 20 if quick else 100,
        "sizes": {"users": (100, 1000), "events": (10, 200)},
        "bulk_sizes": (100, 200),  # at most the synchronous maximum (MAX_SYNC_PLACEMENTS): above it a job answers
    }


def _guarded(name: str, action):
    """A section that fails is reported as failed; the others still run."""
    started = time.perf_counter()
    try:
        result = action()
    except Exception as exc:
        log(traceback.format_exc())
        result = {"failed": f"{type(exc).__name__}: {exc}"}
    log(f"{name}: {time.perf_counter() - started:.1f} s")
    return result


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run of every section)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "latest.json"), help="where to write JSON")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    config = settings(args.quick)

    results: dict = {"meta": {
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick, "settings": config, "python": platform.python_version(),
        "platform": platform.platform(), "commit": _commit()}}
    print(f"records-management bench ({'quick' if args.quick else 'full'} run, Python {platform.python_version()}, "
          f"commit {results['meta']['commit']})")

    if "cold" in only:
        from bench import coldstart

        log("section 1: cold starts")
        results["cold_start"] = _guarded("cold starts", lambda: coldstart.run(config["cold_repetitions"], log=log))
        print(report.cold_starts(results["cold_start"]) if "failed" not in results["cold_start"]
              else f"{report.heading('1. Cold start per function')}\nfailed: {results['cold_start']['failed']}")

    if only & {"calls", "growth", "shelving"}:
        from bench import calls, growth, inprocess, shelving

        with inprocess.harness() as harness:
            if "calls" in only:
                log("section 2: DynamoDB calls per operation")
                results["dynamodb_calls"] = _guarded("DynamoDB calls", lambda: calls.run(harness))
                print(report.calls(results["dynamodb_calls"]) if "failed" not in results["dynamodb_calls"]
                      else f"{report.heading('2. DynamoDB calls per operation')}\nfailed: {results['dynamodb_calls']['failed']}")
            if "growth" in only:
                log("section 3: cost growth with data")
                results["growth"] = _guarded("growth", lambda: growth.run(harness, config["growth_repetitions"],
                                                                          config["sizes"]))
                print(report.growth(results["growth"]) if "failed" not in results["growth"]
                      else f"{report.heading('3. Cost growth with data')}\nfailed: {results['growth']['failed']}")
            if "shelving" in only:
                log("section 5: stacks and circulation")
                results["shelving"] = _guarded("shelving", lambda: shelving.run(harness, config["bulk_sizes"]))
                print(report.shelving(results["shelving"]) if "failed" not in results["shelving"]
                      else f"{report.heading('5. Stacks and circulation')}\nfailed: {results['shelving']['failed']}")

    if "gateway" in only:
        from bench import gateway

        log("section 4: local gateway overhead")
        results["gateway"] = _guarded("gateway", lambda: gateway.run(config["gateway_repetitions"], log=log))
        if "failed" in results["gateway"]:
            results["gateway"] = {"available": False, "reason": results["gateway"]["failed"]}
        print(report.gateway(results["gateway"]))

    print(report.summary(results))
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nJSON: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
