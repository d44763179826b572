"""Section 4: what the local API gateway adds to a request.

Starts the local system (`python -m infrastructure.local`) on free ports with fresh
data in a temporary folder, then times, over plain HTTP:
  - GET /_local/health       the local API (it also pings moto and every worker);
  - GET /no-such-route       the gateway alone: routing answers 404;
  - GET /me without a token  routing and the authorizer's 401, no function;
  - GET /me with a token     (POST /_local/token) token check, proxy event, worker
    hop, the function itself;
  - the same event posted straight to the identity worker's Invoke API, when the
    system tells where its workers listen;
  - GET /partners/me with the demo partner's key (the partner authorizer runs on every
    call: key check and quota count), and the same event posted straight to the
    partners worker: the partner authorizer's and quota check's cost per request.
Differences of medians are the per-request overheads. If the local system cannot
start, the section says why and the rest of the bench is unaffected.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import pathlib
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Iterator
import urllib.parse

from bench import events
from bench.coldstart import free_port
from bench.template import ROOT

STARTUP_DEADLINE = 180.0
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _help() -> tuple[str | None, str | None]:
    """(help text, None) if the local system can start, else (None, reason)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "infrastructure.local", "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "`python -m infrastructure.local --help` did not answer within 60 s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return None, f"`python -m infrastructure.local --help` failed: {last}"
    return proc.stdout, None


def _request(port: int, method: str, path: str, *, headers: dict[str, str] | None = None,
             body: bytes | None = None, timeout: float = 30) -> tuple[int, bytes, float]:
    """One request on a new connection (as a browser's first request): (status, body, ms)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - start) * 1000
    finally:
        conn.close()


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _walk(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, path + (i,))


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _pick_token(texts: list[str]) -> str | None:
    """A JWT from the given texts, preferring an organisation admin's (so GET /me finds a profile)."""
    tokens = []
    for text in texts:
        tokens += JWT.findall(text)
    best = None
    for token in dict.fromkeys(tokens):
        try:
            claims = _claims_of(token)
        except ValueError:
            continue
        if claims.get("token_use") not in (None, "id"):
            continue
        score = (bool(claims.get("custom:org_id")), "admin" in str(claims.get("cognito:groups", "")))
        if best is None or score > best[0]:
            best = (score, token)
    return best[1] if best else None


def _token(port: int, log_path: pathlib.Path) -> str | None:
    """A bearer token from the local issuer (POST /_local/token, default demo user), else one printed in the log."""
    try:
        status, data, _ = _request(port, "POST", "/_local/token", body=b"", timeout=30,
                                   headers={"Content-Type": "application/json"})
        if status == 200 and isinstance(_json(data), dict) and _json(data).get("token"):
            return _json(data)["token"]
    except OSError:
        pass
    return _pick_token([log_path.read_text(errors="replace")])


def _worker_port(health: Any, logical_id: str) -> int | None:
    """The port of a function's worker, if the health report tells it."""
    for path, value in _walk(health):
        if logical_id in [str(p) for p in path] and path and path[-1] in ("port", "url", "endpoint"):
            if isinstance(value, int):
                return value
            if isinstance(value, str):
                parsed = urllib.parse.urlparse(value)
                if parsed.port:
                    return parsed.port
    return None


def _stats(name: str, samples: list[tuple[int, float]]) -> dict[str, Any]:
    times = sorted(ms for _, ms in samples)
    statuses = sorted({status for status, _ in samples})
    return {"name": name, "n": len(times), "status": ",".join(map(str, statuses)),
            "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[min(len(times) - 1, int(len(times) * 0.9))], 2)}


def _stop(proc: subprocess.Popen) -> None:
    """Stop the process group this section started (and only it)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def run(repetitions: int, log=print) -> dict[str, Any]:
    help_text, reason = _help()
    if help_text is None:
        return {"available": False, "reason": reason}
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))
    port_options = sorted(o for o in options if o.endswith("port"))
    api_option = next((o for o in ("--port", "--api-port", "--gateway-port") if o in options), None)
    ports = {o: free_port() for o in port_options}
    api_port = ports[api_option] if api_option else 3000
    if not api_option:
        try:
            _request(api_port, "GET", "/_local/health", timeout=2)
            return {"available": False, "reason": "no --port option and 127.0.0.1:3000 already answers (a running system?)"}
        except OSError:
            pass

    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        args = [sys.executable, "-m", "infrastructure.local"]
        args += ["--fresh"] if "--fresh" in options else []
        args += ["--data-dir", str(pathlib.Path(tmp) / "data")] if "--data-dir" in options else []
        for option, port in ports.items():
            args += [option, str(port)]
        log_path = pathlib.Path(tmp) / "local.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(args, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
        try:
            return _measure(proc, api_port, log_path, repetitions, args, log)
        finally:
            _stop(proc)


def _measure(proc: subprocess.Popen, port: int, log_path: pathlib.Path, repetitions: int, args: list[str],
             log) -> dict[str, Any]:
    started = time.perf_counter()
    deadline = time.monotonic() + STARTUP_DEADLINE
    health = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (log_path.read_text(errors="replace").strip().splitlines() or ["(no output)"])[-1]
            return {"available": False, "reason": f"the local system exited ({proc.returncode}): {tail}"}
        try:
            status, data, _ = _request(port, "GET", "/_local/health", timeout=5)
            if status == 200:
                health = _json(data)
                break
        except OSError:
            pass
        time.sleep(0.25)
    else:
        return {"available": False, "reason": f"GET /_local/health did not answer 200 within {STARTUP_DEADLINE:.0f} s"}
    startup_s = round(time.perf_counter() - started, 1)
    log(f"  local system up in {startup_s} s on port {port}")
    result: dict[str, Any] = {"available": True, "command": " ".join(args[1:]), "startup_s": startup_s,
                              "measurements": [], "overheads": [], "notes": []}

    token = _token(port, log_path)
    worker = _worker_port(health, "IdentityFunction")
    # (key, label, port, method, path, options): all timed round-robin, so load drift hits each alike.
    specs: list[tuple[str, str, int, str, str, dict[str, Any]]] = [
        ("health", "GET /_local/health (local API; pings moto and workers)", port, "GET", "/_local/health", {}),
        ("routing", "GET /no-such-route (gateway 404: routing only)", port, "GET", "/bench/no-such-route", {}),
        ("rejected", "GET /me without token (authorizer 401)", port, "GET", "/me", {}),
    ]
    if token:
        specs.append(("me", "GET /me via gateway (bearer token, 200)", port, "GET", "/me",
                      {"headers": {"Authorization": f"Bearer {token}"}}))
        if worker:
            claims = {k: str(v) for k, v in _claims_of(token).items()}
            event = json.dumps(events.api_event("GET", "/me", claims=claims)).encode()
            specs.append(("direct", "GET /me event posted to the identity worker", worker, "POST",
                          "/2015-03-31/functions/IdentityFunction/invocations",
                          {"body": event, "headers": {"Content-Type": "application/json"}}))
        else:
            result["notes"].append("the local system does not expose its workers' ports (GET /_local/health "
                                   "names none), so a direct worker invocation was not measured")
    else:
        result["notes"].append("no bearer token (POST /_local/token failed and none in the log): GET /me not measured")
    key_file = log_path.parent / "data" / "partner-api-key"
    partner_key = key_file.read_text().strip() if key_file.exists() else ""
    partners_worker = _worker_port(health, "PartnersFunction")
    if partner_key.startswith("rmk_"):
        specs.append(("partner", "GET /partners/me via gateway (partner key: authorizer + quota, every call)", port,
                      "GET", "/partners/me", {"headers": {"X-Api-Key": partner_key}}))
        status, data, _ = _request(port, "GET", "/partners/me", headers={"X-Api-Key": partner_key})
        me = _json(data) if status == 200 else None
        if partners_worker and isinstance(me, dict):
            event = json.dumps(events.api_event("GET", "/partners/me", partner=events.partner(
                me["client_id"], me["org_id"], me["scopes"], me["event_types"]))).encode()
            specs.append(("partner_direct", "GET /partners/me event posted to the partners worker", partners_worker,
                          "POST", "/2015-03-31/functions/PartnersFunction/invocations",
                          {"body": event, "headers": {"Content-Type": "application/json"}}))
    else:
        result["notes"].append("no demo partner key in the data folder: the partner authorizer not measured")

    samples: dict[str, list[tuple[int, float]]] = {key: [] for key, *_ in specs}
    for key, _, target, method, path, options in specs:
        _request(target, method, path, **options)  # warm: the first call may pay a worker's lazy imports
    # Tokens the staff authorizer has not seen: each request runs the authorizer function
    # (token check and a read of identity's table) instead of the gateway's cached answer.
    fresh = [t for t in (_token(port, log_path) for _ in range(repetitions)) if t] if token else []
    if fresh:
        samples["me_fresh"] = []
    for i in range(repetitions):
        for key, _, target, method, path, options in specs:
            status, _body, ms = _request(target, method, path, **options)
            samples[key].append((status, ms))
        if i < len(fresh):
            samples["me_fresh"].append(_request(port, "GET", "/me", headers={"Authorization": f"Bearer {fresh[i]}"})[::2])
    if fresh:
        specs.append(("me_fresh", "GET /me via gateway, a token new to the authorizer (it runs)", port, "GET", "/me", {}))
    stats = {key: _stats(label, samples[key]) for key, label, *_ in specs}
    result["measurements"] = list(stats.values())

    if "direct" in stats:
        result["overheads"].append(f"gateway overhead per request (/me via gateway - direct worker invoke): "
                                   f"{stats['me']['median_ms'] - stats['direct']['median_ms']:.1f} ms")
    result["overheads"].append(
        f"gateway floor per request: {stats['routing']['median_ms']:.1f} ms (unrouted 404), "
        f"{stats['rejected']['median_ms']:.1f} ms (authorizer 401); /_local/health {stats['health']['median_ms']:.1f} ms")
    if "me_fresh" in stats:
        result["overheads"].append(
            f"staff authorizer per uncached request (new token - cached token): "
            f"{stats['me_fresh']['median_ms'] - stats['me']['median_ms']:.1f} ms; a token is re-checked at most "
            "once per ReauthorizeEvery (60 s)")
    if "partner_direct" in stats and "direct" in stats:
        partner_added = (stats["partner"]["median_ms"] - stats["partner_direct"]["median_ms"]
                         - (stats["me"]["median_ms"] - stats["direct"]["median_ms"]))
        result["overheads"].append(
            f"partner authorizer + quota check per request (partner route via gateway - its direct invoke - the "
            f"gateway's own overhead): {partner_added:.1f} ms; partner route via gateway / staff route via gateway "
            f"(cached token): {stats['partner']['median_ms'] / stats['me']['median_ms']:.2f}x")
    if "me" in stats:
        result["overheads"].append(
            f"/me via gateway - authorizer 401: {stats['me']['median_ms'] - stats['rejected']['median_ms']:.1f} ms "
            "(token verification, proxy event, worker hop, the function itself)")
    result["health"] = health
    return result
