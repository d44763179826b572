"""Identity's HTTP handler with API Gateway REST events against moto."""
from __future__ import annotations

import json

import pytest

from tests.support.events import FakeLambdaContext, api_event, claims, partner, response_json

SYSADMIN = claims("u-root", "org-root", ["sysadmin", "admin"])


def call(event):
    from identity.app import handler
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], response_json(response), {k.lower(): v for k, v in response["headers"].items()}


def create_org(org_id="org-alpha", name="Alpha Records Centre", **extra):
    return call(api_event("POST", "/organisations", claims=SYSADMIN,
                          body={"id": org_id, "name": name, "type": "records_centre", **extra}))


def admin_of(org_id):
    return claims(f"admin-{org_id}", org_id, ["admin"])


def add_user(org_id, email, roles=("archivist",), headers=None):
    return call(api_event("POST", "/organisations/{org_id}/users", path_params={"org_id": org_id},
                          claims=admin_of(org_id), headers=headers,
                          body={"email": email, "display_name": "Kim Archivist", "roles": list(roles)}))


def table_items(aws):
    return aws.ddb.scan(TableName="identity")["Items"]


def test_sysadmin_creates_an_organisation_with_its_event_in_the_same_write(aws):
    status, body, headers = create_org()
    assert status == 201
    assert body["organisation"]["id"] == "org-alpha" and body["organisation"]["version"] == 1
    assert headers["location"] == "/v1/organisations/org-alpha" and headers["etag"] == '"1"'
    outbox = [i for i in table_items(aws) if i["pk"]["S"].startswith("OUTBOX#")]
    assert [json.loads(i["envelope"]["S"])["type"] for i in outbox] == ["OrganisationCreated"]
    envelope = json.loads(outbox[0]["envelope"]["S"])
    assert envelope["actor"] == {"user_id": "u-root", "org_id": "org-root"}
    assert envelope["subjects"] == [{"kind": "organisation", "id": "org-alpha", "org_id": "org-alpha"}]


def test_only_sysadmins_manage_organisations(aws):
    status, body, headers = call(api_event("POST", "/organisations", claims=admin_of("org-x"),
                                           body={"name": "Nope", "type": "agency"}))
    assert status == 403 and headers["content-type"] == "application/problem+json"
    assert body["type"].endswith("/forbidden")
    assert table_items(aws) == []


@pytest.mark.parametrize("raw, field", [
    ('{"name": "A", "type": "agency"', "body"),                      # malformed JSON
    ('{"type": "agency"}', "name"),                                   # missing field
])  # the schema's own refusals: tests/unit/test_identity_input.py
def test_bad_bodies_get_400_problems_and_write_nothing(aws, raw, field):
    status, body, headers = call(api_event("POST", "/organisations", claims=SYSADMIN, raw_body=raw))
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 400 and body["type"].rsplit("/", 1)[1] in ("malformed-request", "validation-failed")
    if body["type"].endswith("validation-failed"):
        assert body["errors"][0]["field"] == field
    assert table_items(aws) == []


def test_oversized_and_non_json_bodies_are_refused(aws):
    big = json.dumps({"name": "A" * 300_000, "type": "agency"})
    assert call(api_event("POST", "/organisations", claims=SYSADMIN, raw_body=big))[0] == 413
    plain = api_event("POST", "/organisations", claims=SYSADMIN, raw_body="name=A",
                      headers={"Content-Type": "text/plain"})
    assert call(plain)[0] == 415
    assert table_items(aws) == []


def test_stale_or_missing_if_match_is_refused(aws):
    create_org()
    patch = lambda etag: api_event("PATCH", "/organisations/{org_id}", path_params={"org_id": "org-alpha"},
                                   claims=SYSADMIN, body={"name": "Alpha Archive"},
                                   headers={"If-Match": etag} if etag else None)
    assert call(patch(None))[0] == 428
    status, body, headers = call(patch('"1"'))
    assert status == 200 and body["name"] == "Alpha Archive" and headers["etag"] == '"2"'
    status, body, _ = call(patch('"1"'))
    assert status == 412 and body["type"].endswith("/precondition-failed")
    org = call(api_event("GET", "/organisations/{org_id}", path_params={"org_id": "org-alpha"}, claims=SYSADMIN))[1]
    assert org["name"] == "Alpha Archive" and org["version"] == 2


def test_parent_must_exist_and_hierarchy_cannot_loop(aws):
    assert create_org("org-child", parent_id="org-missing")[0] == 400
    create_org("org-parent")
    create_org("org-child", parent_id="org-parent")
    status, body, _ = call(api_event("PATCH", "/organisations/{org_id}", path_params={"org_id": "org-parent"},
                                     claims=SYSADMIN, body={"parent_id": "org-child"}, headers={"If-Match": '"1"'}))
    assert status == 409, body


def test_admin_adds_a_user_which_starts_provisioning(aws):
    create_org()
    status, body, headers = add_user("org-alpha", "Kim@Example.org")
    assert status == 202 and body["status"] == "provisioning" and body["email"] == "kim@example.org"
    assert headers["location"] == f"/v1/organisations/org-alpha/users/{body['id']}"  # behind the stage it came through
    execution = aws.wait_for_execution(f"provision-{body['id']}")
    assert execution["status"] == "SUCCEEDED"
    _, user, _ = call(api_event("GET", "/organisations/{org_id}/users/{user_id}",
                                path_params={"org_id": "org-alpha", "user_id": body["id"]}, claims=admin_of("org-alpha")))
    assert user["status"] == "active"


def test_email_addresses_are_unique_across_organisations(aws):
    create_org()
    create_org("org-beta", name="Beta")
    assert add_user("org-alpha", "kim@example.org")[0] == 202
    status, body, _ = add_user("org-beta", "KIM@example.org")
    assert status == 409 and body["errors"][0]["field"] == "email"


def test_replaying_an_idempotency_key_creates_nothing_new(aws):
    create_org()
    first = add_user("org-alpha", "lee@example.org", headers={"Idempotency-Key": "k-123"})
    again = add_user("org-alpha", "lee@example.org", headers={"Idempotency-Key": "k-123"})
    assert first[0] == again[0] == 202
    assert first[1]["id"] == again[1]["id"]
    assert again[2].get("idempotent-replayed") == "true"
    users = call(api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-alpha"},
                           claims=admin_of("org-alpha")))[1]["items"]
    assert [u["email"] for u in users] == ["lee@example.org"]
    other = add_user("org-alpha", "park@example.org", headers={"Idempotency-Key": "k-123"})
    assert other[0] == 422 and other[1]["type"].endswith("/idempotency-key-reused")


def test_nobody_sees_another_organisations_users(aws):
    create_org()
    create_org("org-beta", name="Beta")
    user = add_user("org-alpha", "kim@example.org")[1]
    for caller in (admin_of("org-beta"), SYSADMIN):
        for event in (
            api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-alpha"}, claims=caller),
            api_event("GET", "/organisations/{org_id}/users/{user_id}",
                      path_params={"org_id": "org-alpha", "user_id": user["id"]}, claims=caller),
            api_event("PATCH", "/organisations/{org_id}/users/{user_id}", headers={"If-Match": '"1"'},
                      path_params={"org_id": "org-alpha", "user_id": user["id"]}, claims=caller, body={"display_name": "X"}),
            api_event("POST", "/organisations/{org_id}/users/{user_id}/deactivate", headers={"If-Match": '"1"'},
                      path_params={"org_id": "org-alpha", "user_id": user["id"]}, claims=caller),
        ):
            status, body, _ = call(event)
            assert status == 404, (caller["cognito:username"], event["resource"], body)
    beta_admin_view = call(api_event("GET", "/organisations/{org_id}", path_params={"org_id": "org-alpha"},
                                     claims=admin_of("org-beta")))
    assert beta_admin_view[0] == 404


def test_users_list_paginates_with_opaque_cursors(aws):
    create_org()
    for n in range(5):
        add_user("org-alpha", f"user{n}@example.org")
    seen, cursor = [], None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        status, body, _ = call(api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-alpha"},
                                         claims=admin_of("org-alpha"), query=query))
        assert status == 200 and len(body["items"]) <= 2
        seen += [u["email"] for u in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"user{n}@example.org" for n in range(5)]


CRAFTED_CURSOR = "eyJwayI6Ik9SRyNvcmctYWxwaGEifQ"  # {"pk":"ORG#org-alpha"}: right partition, not a table key


@pytest.mark.parametrize("query", [{"cursor": "not-a-cursor!"}, {"cursor": CRAFTED_CURSOR}, {"limit": "0"},
                                   {"limit": "abc"}, {"colour": "red"}])
def test_bad_listing_parameters_are_400(aws, query):
    create_org()
    status, body, _ = call(api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-alpha"},
                                     claims=admin_of("org-alpha"), query=query))
    assert status == 400, body


def test_a_page_size_counts_ascii_digits_only(aws):
    """Superscripts, circled, Arabic-Indic and mathematical digits pass str.isdigit(): each is a 400
    problem naming `limit`, never a 500 and never a page."""
    create_org()
    for limit in ("²", "①", "٣", "𝟓"):
        status, body, headers = call(api_event("GET", "/organisations/{org_id}/users",
                                               path_params={"org_id": "org-alpha"}, claims=admin_of("org-alpha"),
                                               query={"limit": limit}))
        assert status == 400, (limit, body)
        assert headers["content-type"] == "application/problem+json"
        assert body["type"].endswith("/validation-failed") and body["errors"][0]["field"] == "limit"


def test_a_cursor_from_another_organisation_is_refused(aws):
    create_org()
    create_org("org-beta", name="Beta")
    for n in range(3):
        add_user("org-alpha", f"a{n}@example.org")
    cursor = call(api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-alpha"},
                            claims=admin_of("org-alpha"), query={"limit": "1"}))[1]["next_cursor"]
    status, body, _ = call(api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": "org-beta"},
                                     claims=admin_of("org-beta"), query={"cursor": cursor}))
    assert status == 400 and body["type"].endswith("/invalid-cursor")


def test_deactivation_disables_the_account_and_needs_the_current_version(aws):
    create_org()
    user = add_user("org-alpha", "kim@example.org")[1]
    aws.wait_for_execution(f"provision-{user['id']}")
    path = {"org_id": "org-alpha", "user_id": user["id"]}
    stale = call(api_event("POST", "/organisations/{org_id}/users/{user_id}/deactivate", path_params=path,
                           claims=admin_of("org-alpha"), headers={"If-Match": '"1"'}))
    assert stale[0] == 412
    status, body, _ = call(api_event("POST", "/organisations/{org_id}/users/{user_id}/deactivate", path_params=path,
                                     claims=admin_of("org-alpha"), headers={"If-Match": '"2"'}))
    assert status == 200 and body["status"] == "deactivated"
    account = aws.idp.admin_get_user(UserPoolId=aws.pool_id, Username=user["id"])
    assert account["Enabled"] is False


def test_role_changes_reach_the_identity_provider(aws):
    create_org()
    user = add_user("org-alpha", "kim@example.org", roles=["archivist"])[1]
    aws.wait_for_execution(f"provision-{user['id']}")
    status, body, _ = call(api_event("PATCH", "/organisations/{org_id}/users/{user_id}",
                                     path_params={"org_id": "org-alpha", "user_id": user["id"]},
                                     claims=admin_of("org-alpha"), headers={"If-Match": '"2"'},
                                     body={"roles": ["stack_manager", "auditor"]}))
    assert status == 200 and body["roles"] == ["auditor", "stack_manager"]
    groups = aws.idp.admin_list_groups_for_user(UserPoolId=aws.pool_id, Username=user["id"])["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["auditor", "stack_manager"]


def test_me_reads_the_token_and_the_profile(aws):
    create_org()
    status, body, _ = call(api_event("GET", "/me", claims=claims("u-nobody", "org-alpha", ["requester"])))
    assert status == 200
    assert body["organisation"]["id"] == "org-alpha" and body["roles"] == ["requester"]
    assert body["user"]["status"] == "unregistered"


def test_partner_directory_lists_active_organisations_only(aws):
    create_org()
    create_org("org-gone", name="Gone")
    call(api_event("PATCH", "/organisations/{org_id}", path_params={"org_id": "org-gone"}, claims=SYSADMIN,
                   body={"status": "inactive"}, headers={"If-Match": '"1"'}))
    status, body, headers = call(api_event("GET", "/directory/organisations",
                                           partner=partner("agency-1", "org-alpha", ["directory:read"])))
    assert status == 200
    assert [o["id"] for o in body["items"]] == ["org-alpha"]
    assert set(body["items"][0]) == {"id", "name", "type", "parent_id"}
    assert headers["ratelimit-policy"].startswith('"minute";q=60;w=60')  # what the partner authorizer counted
    # a partner client without the scope, and a call without a partner key
    assert call(api_event("GET", "/directory/organisations",
                          partner=partner("agency-1", "org-alpha", ["feed:read"])))[0] == 403
    assert call(api_event("GET", "/directory/organisations"))[0] == 401


def _active_user(aws, email="kim@example.org"):
    create_org()
    user = add_user("org-alpha", email)[1]
    aws.wait_for_execution(f"provision-{user['id']}")
    return user


def _status_call(user, action, etag):
    return call(api_event("POST", "/organisations/{org_id}/users/{user_id}/" + action, claims=admin_of("org-alpha"),
                          path_params={"org_id": "org-alpha", "user_id": user["id"]}, headers={"If-Match": etag}))


def _enabled(aws, user):
    return aws.idp.admin_get_user(UserPoolId=aws.pool_id, Username=user["id"])["Enabled"]


def test_the_provider_ends_with_the_newest_state_when_changes_interleave(aws, monkeypatch):
    """A slow sync of an older change must not overwrite a newer one at the identity provider."""
    from identity.integration import idp
    user = _active_user(aws)
    real_apply, interleaved = idp.apply_state, []

    def apply_then_race(user_id, roles, enabled):
        real_apply(user_id, roles, enabled)
        if not interleaved:  # while the deactivation syncs, a reactivation lands in the table
            interleaved.append(True)
            monkeypatch.setattr(idp, "apply_state", lambda *a, **k: None)  # its own sync is lost
            assert _status_call(user, "reactivate", '"3"')[0] == 200
            monkeypatch.setattr(idp, "apply_state", apply_then_race)

    monkeypatch.setattr(idp, "apply_state", apply_then_race)
    assert _status_call(user, "deactivate", '"2"')[0] == 200
    stored = call(api_event("GET", "/organisations/{org_id}/users/{user_id}", claims=admin_of("org-alpha"),
                            path_params={"org_id": "org-alpha", "user_id": user["id"]}))[1]
    assert stored["status"] == "active" and stored["version"] == 4
    assert _enabled(aws, user) is True  # the deactivation's sync re-read and applied the newer state


def test_changes_the_provider_missed_are_applied_by_the_reconcile_job(aws, monkeypatch):
    from datetime import datetime, timedelta, timezone
    from identity import logic
    from identity.integration import idp
    user = _active_user(aws)
    with monkeypatch.context() as down:
        down.setattr(idp, "apply_state", lambda *a, **k: (_ for _ in ()).throw(idp.TransientError("Cognito down")))
        assert _status_call(user, "deactivate", '"2"')[0] == 200  # recorded; the provider is behind
    assert _enabled(aws, user) is True
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    assert logic.reconcile_identity_provider(now=later) == {"stuck": 0, "restarted": 0, "unsynced": 1, "synced": 1}
    assert _enabled(aws, user) is False
    assert logic.reconcile_identity_provider(now=later)["unsynced"] == 0


def test_concurrent_deactivations_with_one_etag_change_the_user_once(aws):
    from concurrent.futures import ThreadPoolExecutor
    user = _active_user(aws)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(r[0] for r in pool.map(lambda _: _status_call(user, "deactivate", '"2"'), range(8)))
    assert statuses.count(200) == 1 and set(statuses[1:]) <= {409, 412}  # saw the new state, or a stale ETag
    assert _enabled(aws, user) is False


def test_editing_a_sysadmins_roles_keeps_the_platform_role(aws):
    from identity import logic
    from shared.auth import caller_from_claims
    create_org()
    logic.bootstrap([], [{"id": "u-ops", "org_id": "org-alpha", "email": "ops@example.org", "display_name": "Ops",
                          "roles": ["admin", "sysadmin"]}])
    aws.wait_for_execution("provision-u-ops")
    admin = caller_from_claims(admin_of("org-alpha"))
    updated = logic.update_user(admin, "org-alpha", "u-ops", {"roles": ["auditor"]}, expected_version=2)
    assert updated.roles == ("auditor", "sysadmin")
