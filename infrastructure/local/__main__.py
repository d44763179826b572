"""`python -m infrastructure.local [--fresh] [--port 3000] [--moto-port 4566] [--data-dir .local] [--concurrency 4]`

Brings the whole system up on 127.0.0.1 from template.yaml: a moto server in this
process, the template's resources in it, a pool of execution environments (worker
processes) per function, the stream and queue pollers, the schedules, and the API gateway stand-in. Ctrl-C (or
SIGTERM) drains the gateway, saves the data and stops everything within seconds; a
`kill -9` loses no acknowledged write either (journal.py), and the next start recovers
by itself.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: they are part of the start-up time

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import urllib.request  # noqa: E402

from moto.server import ThreadedMotoServer  # noqa: E402

from infrastructure.moto_atomic import make_dynamodb_atomic, observe_commits  # noqa: E402

from . import demo, emulator  # noqa: E402
from .gateway import Gateway  # noqa: E402
from .journal import Journal  # noqa: E402
from .lag import DEFAULT_MAX_LAG_SECONDS, Lag  # noqa: E402
from .local_api import LocalApi  # noqa: E402
from .persistence import Store  # noqa: E402
from .pollers import QueuePoller, StreamPoller  # noqa: E402
from .provision import provision  # noqa: E402
from .queues import Queues  # noqa: E402
from .schedules import Scheduler  # noqa: E402
from .template import Template  # noqa: E402
from .tokens import TokenIssuer, TokenRefused, TokenVerifier  # noqa: E402
from .workers import DEFAULT_CONCURRENCY, Workers, install_invoke_hook  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
log = logging.getLogger("local")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infrastructure.local", description=__doc__.split("\n\n")[1])
    parser.add_argument("--fresh", action="store_true", help="wipe the data folder and start from the demo data")
    parser.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    parser.add_argument("--moto-port", type=int, default=4566, help="moto server port (default 4566)")
    parser.add_argument("--data-dir", type=pathlib.Path, default=REPO_ROOT / ".local", help="default: .local/")
    parser.add_argument("--template", type=pathlib.Path, default=REPO_ROOT / "template.yaml")
    parser.add_argument("--concurrency", type=_count, default=DEFAULT_CONCURRENCY, metavar="N",
                        help="execution environments per function at most, as Lambda's concurrency "
                             f"(default {DEFAULT_CONCURRENCY}, or $LOCAL_CONCURRENCY; the template's "
                             "ReservedConcurrentExecutions lowers it)")
    parser.add_argument("--max-lag", type=float, default=DEFAULT_MAX_LAG_SECONDS, metavar="SECONDS",
                        help="health says degraded while a read model's or a stream's oldest waiting event is older "
                             f"(default {DEFAULT_MAX_LAG_SECONDS:g}, or $LOCAL_MAX_LAG_SECONDS)")
    parser.add_argument("--function-concurrency", type=_function_limit, action="append", default=[],
                        metavar="FUNCTION=N", help="the limit for one function (logical id or name); repeatable")
    parser.add_argument("--webhooks-to-loopback", action="store_true",
                        help="let webhooks go to http(s)://127.0.0.1 as well (tests and demos; never so in AWS)")
    return parser.parse_args(argv)


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number from 1: {value!r}")
    return int(value)


def _function_limit(value: str) -> tuple[str, int]:
    name, _, count = value.partition("=")
    if not name or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected FUNCTION=N, got {value!r}")
    return name, int(count)


def require_free(port: int, option: str) -> None:
    """Fail with a clear message now, rather than hang (moto's server thread would die silently)."""
    reserve(port, option).close()


def reserve(port: int, option: str) -> socket.socket:
    """The port, bound now and kept until the gateway serves on it: the function workers started in
    between take ephemeral ports, and one of them could otherwise be given this one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is fine
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"port {port} is not free ({exc.strerror}); choose another with {option}") from None
    return sock


def start_moto(port: int) -> str:
    # Stable Cognito ids across restarts: persisted tokens and users stay valid.
    os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"
    os.environ["MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY"] = "HASH"
    os.environ["MOTO_PORT"] = str(port)  # moto's Step Functions executor calls back on this port
    for noisy in ("werkzeug", "botocore"):  # moto's per-request log, botocore's endpoint notices
        logging.getLogger(noisy).setLevel(logging.WARNING)
    make_dynamodb_atomic()  # concurrent requests (bulk placement, racing check-outs) as DynamoDB serialises them
    emulator.install()  # moto's per-call costs that grow with a queue's depth, or repeat work, undone
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    url = f"http://127.0.0.1:{port}"
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/config", data=json.dumps(config).encode(),
                                                  method="POST", headers={"Content-Type": "application/json"}))
    os.environ["AWS_ENDPOINT_URL"] = url  # this process's own clients (aws.py)
    return url


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # a signal during start-up stops right after it
        signal.signal(sig, lambda *_: stop.set())
    gateway_socket = reserve(args.port, "--port")
    require_free(args.moto_port, "--moto-port")
    moto_url = start_moto(args.moto_port)
    template = Template(args.template, queue_endpoint=moto_url)
    store = Store(args.data_dir.resolve(), template)
    if args.fresh:
        store.wipe()
    journal = Journal(store.root / "journal")
    observe_commits(journal.record)  # records nothing until started, after the restore
    provision(template)
    try:
        functions = template.functions()
        for fn in functions:  # only functions that deliver or check webhook URLs say WEBHOOK_TARGETS
            if args.webhooks_to_loopback and "WEBHOOK_TARGETS" in fn.environment:
                fn.environment["WEBHOOK_TARGETS"] = "public,loopback"
        workers = Workers(functions, moto_url, args.concurrency, dict(args.function_concurrency))
    except ValueError as exc:
        raise SystemExit(f"--function-concurrency: {exc}") from None
    install_invoke_hook(workers)
    workers.launch()  # they import their handlers while the data is restored
    restored = store.restore(journal)  # the snapshot with every journaled write replayed over it
    journal.start()
    store.compact(journal)  # the recovered state becomes the snapshot; replayed segments go
    pollers = [StreamPoller(s, workers, stop) for s in template.stream_sources()]  # replay the restored outbox
    pollers += [QueuePoller(s, workers, stop) for s in template.queue_sources()]
    scheduler = Scheduler(template.schedules(), workers)
    issuer, verifiers = _authorizers(template, moto_url)
    api_key = template.api_key() or store.api_key()  # the usage-plan key the gateway checks
    queues = Queues(template)
    local_api = LocalApi(workers=workers, issuer=issuer, scheduler=scheduler,
                         openapi=template.root / "infrastructure" / "api" / "openapi.json", moto_url=moto_url,
                         queues=queues, lag=Lag(template, queues, pollers, args.max_lag))
    gateway = Gateway(template.apis(), template.routes(), workers, verifiers, api_key, local_api)
    init = workers.wait_ready()
    for thread in pollers:
        thread.start()
    scheduler.start(stop)
    gateway.serve("127.0.0.1", args.port, gateway_socket)
    for unsupported in template.unsupported_events():
        log.warning("event source not emulated: %s", unsupported)
    for logical, report in init.items():
        if report.get("init_error"):
            error = report["init_error"]
            log.error("%s cannot start: %s: %s", logical, error["errorType"], error["errorMessage"])

    seeded_now = False
    if not store.seeded():
        seeded_now = demo.seed(workers)
        if seeded_now:
            store.mark_seeded()
    partner_key = demo.seed_partner(workers, store.root / "partner-api-key")
    api_url = f"http://127.0.0.1:{args.port}"
    store.write_runtime({"api_url": api_url, "moto_url": moto_url, "pid": os.getpid()})
    threading.Thread(target=store.autosave, args=(stop, journal), daemon=True, name="autosave").start()
    local_api.started.set()
    elapsed = time.perf_counter() - STARTED
    _banner(api_url, moto_url, partner_key or api_key["value"], store.root, restored, seeded_now, issuer, elapsed)

    stop.wait()
    stopping = time.perf_counter()
    log.info("stopping")
    gateway.stop(grace=2.5)  # no new connections; requests in flight finish (bounded)
    deadline = time.monotonic() + 0.5
    for thread in pollers:  # let a batch in flight finish (its writes are journaled like any other)
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    journal.close()  # every write is already on disk; the next start compacts
    store.save()  # Cognito is not journaled
    store.remove("runtime.json")
    workers.stop()
    log.info("stopped in %.1f s; data kept in %s", time.perf_counter() - stopping, store.root)


def _authorizers(template: Template, moto_url: str) -> tuple[TokenIssuer | None, dict[tuple[str, str], TokenVerifier]]:
    """A verifier per Cognito user-pool authorizer (Lambda authorizers run their own function), and
    an issuer of tokens for the first user pool that has an app client."""
    clients: dict[str, list[str]] = {}
    for logical in template.of_type("AWS::Cognito::UserPoolClient"):
        pool = template.properties(logical)["UserPoolId"]
        clients.setdefault(pool, []).append(template.resolve({"Ref": logical}))
    cognito_url = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDP", moto_url)
    verifiers, issuer = {}, None
    for api in template.apis().values():
        for name, spec in api.authorizers.items():
            if "pool_arn" not in spec:
                continue
            pool_id = spec["pool_arn"].rsplit("/", 1)[1]
            verifiers[(api.logical_id, name)] = TokenVerifier(f"{cognito_url}/{pool_id}/.well-known/jwks.json",
                                                              pool_id, clients.get(pool_id, []))
    pool_id, client_ids = next(iter(clients.items()), (None, []))
    if pool_id and client_ids:
        issuer = TokenIssuer(pool_id, client_ids[0])
    return issuer, verifiers


def _banner(api_url: str, moto_url: str, partner_key: str, data_dir: pathlib.Path, restored: dict[str, int],
            seeded_now: bool, issuer: TokenIssuer | None, elapsed: float) -> None:
    data = (f"restored {restored['items']} items ({restored['journaled']} journaled writes replayed) and "
            f"{restored['users']} users" if any(restored.values()) else "empty")
    lines = [
        "", f"Records management: local system ready in {elapsed:.2f} s",
        f"  API              {api_url}",
        f"  Docs             {api_url}/docs   (OpenAPI: {api_url}/openapi.json)",
        f"  Health           {api_url}/_local/health",
        f"  Schedules        {api_url}/_local/schedules   (run one: make job NAME=<name>)",
        f"  AWS (moto)       {moto_url}",
        f"  Partner API key  X-Api-Key: {partner_key}   (demo partner client of org-src, every scope)",
        f"  Data             {data_dir} ({data}{', demo data seeded' if seeded_now else ''})",
    ]
    if issuer is not None:
        lines += ["", "Demo users (ID tokens valid 60 min; more: POST /_local/token "
                      '{"demo": "<user>"} or {"user_id", "email", "org_id", "roles"}):']
        for key, user in demo.USERS.items():
            try:
                token = issuer.issue(user["id"], user["email"], user["org_id"], user["roles"])["token"]
            except TokenRefused as exc:
                token = f"(refused: {exc})"
            lines += [f"  {key:<14} {user['id']:<16} {user['org_id']:<8} {','.join(user['roles'])}",
                      f"    Authorization: Bearer {token}"]
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    main()
