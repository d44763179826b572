"""Partners' rules without AWS: the key format and its hash, quota windows and their header
fields, event-type scopes, who may pass the authorizer, and what the feed copies."""
from __future__ import annotations

import hashlib

import pytest

from partners.domain.access import AccessRefused, grant
from partners.domain.feed import organisations_of, visible
from partners.domain.keys import InvalidKey, digest, key_id_of, matches, new_key
from partners.domain.model import Contact, PartnerClient, PartnerKey, Quota
from partners.domain.quotas import Usage, windows
from partners.domain.scopes import event_allowed
from shared.auth import Partner, partner_from_authorizer, require_scope
from shared.problems import Forbidden, Unauthenticated

NOW = "2026-03-01T09:00:00.000Z"


# ------------------------------------------------------------------ keys
def test_a_new_key_reads_prefix_id_secret_and_its_id_is_found_again():
    key_id, key = new_key()
    assert key.startswith(f"rmk_{key_id}_") and len(key_id) == 12 and len(key) == 60
    assert key_id_of(key) == key_id
    assert len({new_key()[1] for _ in range(100)}) == 100


@pytest.mark.parametrize("bad", [None, "", "rmk_", "Bearer x", "rmk_0123456789ab_short",
                                 "rmk_0123456789AB_" + "a" * 43, "xyz_0123456789ab_" + "a" * 43,
                                 "rmk_0123456789ab_" + "a" * 43 + "\n"])
def test_malformed_keys_are_refused_before_any_read(bad):
    with pytest.raises(InvalidKey):
        key_id_of(bad)


def test_only_the_sha256_of_the_key_is_kept_and_compared():
    _, key = new_key()
    assert digest(key) == hashlib.sha256(key.encode()).hexdigest()
    assert matches(key, digest(key)) and not matches(key[:-1] + "x", digest(key))


# ---------------------------------------------------------------- quotas
def test_windows_are_the_utc_minute_and_day_of_the_instant():
    minute, day = windows(Quota(per_minute=60, per_day=1000), 1_772_355_615.5)  # 2026-03-01T09:00:15.5Z
    assert (minute.name, minute.start, minute.limit) == ("minute", 1_772_355_600, 60)
    assert (day.name, day.start, day.limit) == ("day", 1_772_323_200, 1000)
    assert minute.reset_in(1_772_355_615.5) == 45 and day.reset_in(1_772_355_615.5) == 53985
    assert minute.expires_at() == 1_772_355_600 + 60 + 3600


def test_usage_speaks_the_ratelimit_header_fields_and_retry_after():
    now = 1_772_355_615.0
    w = windows(Quota(per_minute=60, per_day=1000), now)
    counted = Usage(w, (1, 10), None, now)
    assert counted.policy_header() == '"minute";q=60;w=60, "day";q=1000;w=86400'
    assert counted.header() == '"minute";r=59;t=45, "day";r=990;t=53985'
    assert counted.retry_after() is None
    minute_full = Usage(w, (None, None), "minute", now)
    assert minute_full.header() == '"minute";r=0;t=45' and minute_full.retry_after() == 45
    day_full = Usage(w, (59, None), "day", now)
    assert day_full.header() == '"minute";r=1;t=45, "day";r=0;t=53985' and day_full.retry_after() == 53985


# ---------------------------------------------------------------- scopes
@pytest.mark.parametrize("patterns, source, type_, allowed", [
    (["stacks.BoxPlaced"], "records.stacks", "BoxPlaced", True),
    (["stacks.BoxPlaced"], "records.stacks", "BoxMoved", False),
    (["stacks.*"], "records.stacks", "BoxMoved", True),
    (["stacks.*"], "records.inventory", "ScanSessionOpened", False),
    (["*"], "records.disposal", "DisposalDecided", True),  # a capability that does not exist yet
    (["disposal.*"], "records.disposal", "DisposalDecided", True),
    ([], "records.stacks", "BoxPlaced", False),
])
def test_event_types_are_matched_by_capability_and_type(patterns, source, type_, allowed):
    assert event_allowed(patterns, source, type_) is allowed


def test_a_route_needs_its_scope_and_a_partner_at_all():
    partner = partner_from_authorizer({"partner_client_id": "c1", "org_id": "org-a", "scopes": "feed:read,scans:write",
                                       "event_types": "stacks.*", "key_id": "0123456789ab"})
    assert partner == Partner("c1", "org-a", frozenset({"feed:read", "scans:write"}), ("stacks.*",), "0123456789ab")
    assert require_scope(partner, "feed:read") == "org-a"
    with pytest.raises(Forbidden):
        require_scope(partner, "environment:write")
    with pytest.raises(Unauthenticated):
        require_scope(None, "feed:read")
    with pytest.raises(Unauthenticated):
        partner_from_authorizer({"user_id": "u1", "org_id": "org-a", "roles": "admin"})  # a staff caller


# ---------------------------------------------------------------- access
def _client(**changes) -> PartnerClient:
    return PartnerClient(org_id="org-a", id="c1", name="Gateway", contact=Contact("Kim", "kim@x.example"),
                         scopes=("feed:read",), event_types=("stacks.*",), **changes)


def _key(**changes) -> PartnerKey:
    return PartnerKey(**{"org_id": "org-a", "client_id": "c1", "id": "0123456789ab", "secret_hash": "h",
                         "created_at": "2026-01-01T00:00:00.000Z", "expires_at": "2027-01-01T00:00:00.000Z",
                         **changes})


def test_a_live_key_of_an_active_client_passes_with_the_client_s_grants():
    assert grant(_key(), _client(), NOW) == {"partner_client_id": "c1", "org_id": "org-a", "key_id": "0123456789ab",
                                             "scopes": "feed:read", "event_types": "stacks.*"}


@pytest.mark.parametrize("key, client", [
    (None, _client()), (_key(), None), (_key(revoked_at="2026-02-01T00:00:00.000Z"), _client()),
    (_key(expires_at="2026-02-01T00:00:00.000Z"), _client()), (_key(), _client(status="disabled")),
])
def test_revoked_expired_unknown_keys_and_disabled_clients_are_refused(key, client):
    with pytest.raises(AccessRefused):
        grant(key, client, NOW)


def test_key_status_as_listed():
    assert _key().status(NOW) == "active"
    assert _key(expires_at="2026-02-01T00:00:00.000Z").status(NOW) == "expired"
    assert _key(revoked_at=NOW).status(NOW) == "revoked"
    assert "secret_hash" not in _key().public(NOW)


# ------------------------------------------------------------------ feed
def test_an_event_belongs_to_the_organisations_of_its_subjects_else_its_actor():
    assert organisations_of({"subjects": [{"org_id": "a"}, {"org_id": "b"}, {"org_id": "a"}]}) == ["a", "b"]
    assert organisations_of({"subjects": [{"kind": "x"}], "actor": {"org_id": "c"}}) == ["c"]
    assert organisations_of({"subjects": []}) == []
    assert visible({"source": "records.stacks", "type": "BoxPlaced"}, ["stacks.*"])
