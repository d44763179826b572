"""Who may call partner routes now, and how much: the partner authorizer's use case (authorizer.py calls it).

Per request: the key's hash is checked, the client's state applied (domain.access), the call
counted against the client's quotas (data/quotas.py) and the key's last use recorded, at most
once a minute. API Gateway does not cache this authorizer's answers (a cached answer would let
calls through uncounted); what is cached is the key and client look-up, here, per execution
environment, for KEY_CACHE_SECONDS (60 in the template): that is how long a revoked key or a
disabled client keeps working. `CLOCK` is that cache's clock (tests move it).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
import os
import threading
import time
from typing import Any, Callable

from shared.clock import iso_instant

from ..data import clients as store
from ..data import quotas as quota_store
from ..domain.access import AccessRefused, grant
from ..domain.keys import InvalidKey, key_id_of, matches
from ..domain.model import PartnerClient, PartnerKey
from ..domain.quotas import windows

__all__ = ["AccessRefused", "InvalidKey", "authorize", "forget"]

CLOCK: Callable[[], float] = time.monotonic
USE_RECORDED_EVERY = timedelta(minutes=1)
MAX_CACHED = 4096
_cache: dict[str, tuple[float, PartnerKey, PartnerClient | None]] = {}
_lock = threading.Lock()


def cache_seconds() -> float:
    return float(os.environ.get("KEY_CACHE_SECONDS", "60"))


def forget() -> None:
    """Empty the look-up cache (a new execution environment)."""
    with _lock:
        _cache.clear()


def _lookup(key_id: str) -> tuple[PartnerKey | None, PartnerClient | None]:
    with _lock:
        cached = _cache.get(key_id)
    if cached is not None and cached[0] > CLOCK():
        return cached[1], cached[2]
    key = store.get_key(key_id, consistent=True)
    if key is None:
        return None, None  # unknown ids are not cached: they would let anyone fill the memory
    client = store.get_client(key.org_id, key.client_id, consistent=True)
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.clear()
        _cache[key_id] = (CLOCK() + cache_seconds(), key, client)
    return key, client


def _record_use(key: PartnerKey, moment: datetime) -> None:
    """Last use, written at most once a minute per key (not on every call)."""
    since = iso_instant(moment - USE_RECORDED_EVERY)
    if key.last_used_at is not None and key.last_used_at > since:
        return
    at = iso_instant(moment)
    store.touch_key(key.id, at, since)
    with _lock:
        cached = _cache.get(key.id)
        if cached is not None:
            _cache[key.id] = (cached[0], replace(cached[1], last_used_at=at), cached[2])


def authorize(key_value: str | None, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """(principal id, request context) for a live key of an active client, with the call counted;
    InvalidKey or AccessRefused otherwise (nothing counted)."""
    key_id = key_id_of(key_value)
    key, client = _lookup(key_id)
    if key is None or not matches(str(key_value), key.secret_hash):
        raise InvalidKey("unknown key")
    moment = now or datetime.now(timezone.utc)
    context = grant(key, client, iso_instant(moment))
    assert client is not None
    usage = quota_store.count(client.id, windows(client.quota, moment.timestamp()), moment.timestamp())
    _record_use(key, moment)
    retry_after = usage.retry_after()
    return f"partner:{client.id}", {**context, "quota_exceeded": usage.exceeded or "",
                                    "retry_after": str(retry_after) if retry_after else "",
                                    "ratelimit": usage.header(), "ratelimit_policy": usage.policy_header()}
