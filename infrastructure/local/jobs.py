"""Fire a scheduled job on the running local system now (`make job NAME=...`).

    python -m infrastructure.local.jobs                 list the schedules
    python -m infrastructure.local.jobs <name>          run one; print the function's result
    python -m infrastructure.local.jobs --redrive       move every dead letter back to its queue (`make redrive`)

<name> is a schedule's name, its event's logical id (or that in snake_case), or
the job its Input names. Exits 1 if the function failed.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import urllib.error
import urllib.parse
import urllib.request

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _call(url: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infrastructure.local.jobs", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--redrive", action="store_true", help="move dead-letter queues' messages back to their queues")
    parser.add_argument("--data-dir", type=pathlib.Path, default=REPO_ROOT / ".local")
    parser.add_argument("--url", help="the local API (default: the running system's, from the data folder)")
    args = parser.parse_args(argv)
    url = args.url
    if url is None:
        runtime = args.data_dir / "runtime.json"
        if not runtime.exists():
            print("The local system is not running (start it with `make run`).", file=sys.stderr)
            return 2
        url = json.loads(runtime.read_text())["api_url"]
    try:
        if args.redrive:
            status, body = _call(f"{url}/_local/queues/redrive", "POST")
            print(json.dumps(body, indent=2, ensure_ascii=False))
            return 0 if status == 200 else 1
        if not args.name:
            _, listing = _call(f"{url}/_local/schedules")
            for schedule in listing["schedules"]:
                print(f"{schedule['name']:<50} {schedule['expression']:<20} aliases: {', '.join(schedule['aliases'])}")
            return 0
        status, body = _call(f"{url}/_local/schedules/{urllib.parse.quote(args.name, safe='')}/run", "POST")
    except urllib.error.URLError as exc:
        print(f"Cannot reach the local system at {url}: {exc.reason}", file=sys.stderr)
        return 2
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return 0 if status == 200 and body.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
