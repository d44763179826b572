"""Where a webhook may be delivered (SSRF guard): the rules, without any network.

A partner chooses the URL, so a careless or hostile one could aim our delivery function at
the cloud's metadata service (169.254.169.254), at a private address inside a VPC, or at the
function itself. The rule: a delivery goes over https to a host whose every resolved address
is a public unicast address; the connection is then made to the address that was checked
(integration/http_delivery.py), so a second DNS answer (rebinding) cannot switch it.

Refused, for IPv4 and IPv6 alike: loopback, private (RFC 1918, unique-local fc00::/7),
carrier-grade NAT (100.64/10), link-local (169.254/16, fe80::/10), multicast, unspecified,
documentation, benchmarking and other reserved ranges, and every IPv6 form that carries an
IPv4 address (IPv4-mapped ::ffff:0:0/96 is judged by the IPv4 address it carries; 6to4,
Teredo, NAT64 and IPv4-compatible forms are refused outright: a real endpoint never needs
them). The list is written out here rather than taken from `ipaddress`'s is_private/is_global,
whose ranges changed between Python 3.11 and 3.12.

The local system can be started with loopback deliveries allowed (tests and demos): then, and
only then, http or https to a loopback address (127.0.0.0/8, ::1) is accepted as well.
"""
from __future__ import annotations

from dataclasses import dataclass
import ipaddress
from typing import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048

_V4_REFUSED = {
    "unspecified": ["0.0.0.0/8"],
    "loopback": ["127.0.0.0/8"],
    "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"],
    "link_local": ["169.254.0.0/16"],
    "multicast": ["224.0.0.0/4"],
    "reserved": ["192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24",
                 "203.0.113.0/24", "240.0.0.0/4"],  # 255.255.255.255 is in 240/4
}
_V6_REFUSED = {
    "unspecified": ["::/128"],
    "loopback": ["::1/128"],
    "private": ["fc00::/7", "fec0::/10"],  # unique-local and the old site-local
    "link_local": ["fe80::/10"],
    "multicast": ["ff00::/8"],
    "transition": ["::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2002::/16"],
    "reserved": ["100::/64", "2001:2::/48", "2001:10::/28", "2001:20::/28", "2001:db8::/32", "3fff::/20",
                 "5f00::/16"],
}
_NETWORKS = [(reason, ipaddress.ip_network(net)) for table in (_V4_REFUSED, _V6_REFUSED)
             for reason, nets in table.items() for net in nets]
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # "public", or why not: loopback, private, link_local, multicast, reserved, ...

    def __bool__(self) -> bool:
        return self.allowed


def classify(address: str | IPAddress) -> str:
    """Why an address is what it is: `public` or the kind of address it is not allowed to be."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link_local"  # a zoned address names an interface: never a public endpoint
        if ip.ipv4_mapped is not None:
            return classify(ip.ipv4_mapped)
    for reason, network in _NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _V6_GLOBAL_UNICAST:
        return "reserved"  # outside 2000::/3 nothing is assigned for unicast on the Internet
    return "public"


def judge(address: str | IPAddress, *, loopback_allowed: bool = False) -> Verdict:
    reason = classify(address)
    return Verdict(reason == "public" or (loopback_allowed and reason == "loopback"), reason)


def judge_all(addresses: Iterable[str], *, loopback_allowed: bool = False) -> Verdict:
    """Every address a name resolves to must pass (an attacker needs only one private answer);
    a name that resolves to nothing is refused too."""
    verdicts = [judge(a, loopback_allowed=loopback_allowed) for a in addresses]
    if not verdicts:
        return Verdict(False, "unresolvable")
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        return refused[0]
    return Verdict(True, "loopback" if any(v.reason == "loopback" for v in verdicts) else "public")


@dataclass(frozen=True)
class Target:
    """A URL taken apart for delivery."""

    scheme: str
    host: str  # as written (a name, or an address without brackets)
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def literal(self) -> IPAddress | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


class BadUrl(ValueError):
    """A URL we will not deliver to, whatever it resolves to (the message says why)."""


def parse(url: str, *, loopback_allowed: bool = False) -> Target:
    """Check what the URL says by itself: https (http only to a loopback address when loopback is
    allowed), a host, no credentials, no fragment; an address written in the URL is judged now."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise BadUrl(f"a URL of at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x21 for ch in url):
        raise BadUrl("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadUrl(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise BadUrl("webhooks are delivered over https")
    if parts.username is not None or parts.password is not None:
        raise BadUrl("credentials in the URL are not accepted (the signature authenticates us)")
    if parts.fragment:
        raise BadUrl("a URL with a fragment (#…) cannot be delivered to")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BadUrl("the URL names no host")
    if port == 0:
        raise BadUrl("port 0 cannot be delivered to")
    target = Target(scheme, host, port or (443 if scheme == "https" else 80),
                    (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    literal = target.literal
    if literal is not None:
        verdict = judge(literal, loopback_allowed=loopback_allowed)
        if not verdict:
            raise BadUrl(f"{host} is a {verdict.reason.replace('_', '-')} address; webhooks go to public addresses")
    elif host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal")):
        if not (loopback_allowed and host.lower() == "localhost"):
            raise BadUrl(f"{host} is not a public host name")
    if scheme == "http" and not (loopback_allowed and (host.lower() == "localhost" or
                                                       (literal is not None and judge(literal).reason == "loopback"))):
        raise BadUrl("webhooks are delivered over https")
    return target
