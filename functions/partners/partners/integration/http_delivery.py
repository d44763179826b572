"""One webhook try over HTTP: resolve the host, check every address, connect to a checked one.

The SSRF rules are domain/destinations.py; this module makes them hold on the wire. The host is
resolved once (getaddrinfo), every address must pass, and the socket connects to the first
checked address itself: the TLS handshake still names the host (SNI) and verifies its
certificate against the host name, and the Host header carries the name, but no second DNS
lookup happens between the check and the connection (DNS rebinding cannot switch the target).
Redirects are never followed (http.client does not). A whole try (connect, TLS, send, status
and headers, the first KB of the body) must end within TIMEOUT_SECONDS: a timer shuts the
socket down at the deadline, so a receiver that trickles bytes cannot hold the function.

Loopback deliveries are allowed only where the environment says so
(WEBHOOK_TARGETS=public,loopback), which only the local system sets, when started with
`--webhooks-to-loopback`; in AWS the variable says `public`.
"""
from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
import time
from typing import Callable

from ..domain import destinations
from ..domain.deliveries import EXCERPT_BYTES, TIMEOUT_SECONDS, Response

Resolver = Callable[[str, int], list[str]]


def loopback_allowed() -> bool:
    return "loopback" in os.environ.get("WEBHOOK_TARGETS", "public").split(",")


def resolve(host: str, port: int) -> list[str]:
    """Every address the name has (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%")[0]  # a zone (fe80::1%eth0) only ever comes with link-local
        if address not in seen:
            seen.append(address)
    return seen


_TLS = ssl.create_default_context()


class _PinnedConnection(http.client.HTTPSConnection):
    """HTTP(S) to a host name over a socket already connected to a checked address."""

    def __init__(self, target: destinations.Target, sock: socket.socket) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=_TLS)
        self._tls = target.scheme == "https"
        self._pinned = sock

    def connect(self) -> None:
        self.sock = _TLS.wrap_socket(self._pinned, server_hostname=self.host) if self._tls else self._pinned


def post(url: str, headers: dict[str, str], body: bytes, *, resolver: Resolver = resolve,
         clock: Callable[[], float] = time.monotonic) -> Response:
    """POST `body` to `url`; the answer (or why there is none) with its latency."""
    started = clock()
    elapsed = lambda: int((clock() - started) * 1000)  # noqa: E731
    allow_loopback = loopback_allowed()
    try:
        target = destinations.parse(url, loopback_allowed=allow_loopback)
    except destinations.BadUrl as exc:
        return Response(None, 0, error=f"refused: {exc}")
    addresses = [str(target.literal)] if target.literal is not None else resolver(target.host, target.port)
    verdict = destinations.judge_all(addresses, loopback_allowed=allow_loopback)
    if not verdict:
        return Response(None, elapsed(), error=f"refused: {target.host} resolves to a {verdict.reason} address"
                        if verdict.reason != "unresolvable" else f"unreachable: {target.host} does not resolve")
    if target.scheme == "http" and verdict.reason != "loopback":
        return Response(None, elapsed(), error="refused: webhooks are delivered over https")
    sock, deadline, ends = None, None, time.monotonic() + TIMEOUT_SECONDS
    try:
        sock = _connect(addresses, target.port)
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        deadline = threading.Timer(remaining, _shut, args=(sock,))
        deadline.start()
        connection = _PinnedConnection(target, sock)
        connection.request("POST", target.path, body=body, headers={**headers, "content-length": str(len(body))})
        answer = connection.getresponse()
        text = answer.read(EXCERPT_BYTES)
        status, retry_after = answer.status, answer.getheader("retry-after")
        connection.close()
    except (TimeoutError, socket.timeout):
        return Response(None, elapsed(), error=f"timeout: no answer within {TIMEOUT_SECONDS} s")
    except ssl.SSLError as exc:
        return Response(None, elapsed(), error=f"unreachable: TLS failed ({exc.reason or exc})")
    except (OSError, http.client.HTTPException) as exc:
        late = time.monotonic() >= ends
        return Response(None, elapsed(), error=f"timeout: no answer within {TIMEOUT_SECONDS} s" if late
                        else f"unreachable: {type(exc).__name__}: {exc}"[:300])
    finally:
        if deadline is not None:
            deadline.cancel()
        if sock is not None:
            sock.close()
    return Response(status, elapsed(), excerpt=text.decode("utf-8", errors="ignore"), retry_after=retry_after)


def _connect(addresses: list[str], port: int) -> socket.socket:
    """A socket to the first checked address that answers (the next ones if it does not)."""
    last: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=TIMEOUT_SECONDS)
        except OSError as exc:
            last = exc
    raise last


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
