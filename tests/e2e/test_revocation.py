"""Trust: revoked access ends with the authorizer's cache window, not with the token's life.

GIVEN a stack manager holding a token (valid 60 minutes) and a local system whose staff
authorizer caches answers for 1 s (the template says 60; a copy of it says 1 here so the
test need not wait a minute — the mechanism is the same)
WHEN their admin cuts their roles to requester, then deactivates them, then reinstates them
THEN the same token gets 403 on a write the old role allowed, then 401 on every route,
then works again.

The same for a partner's API key: the partner authorizer's key look-up cache holds for 1 s in
the copy (KEY_CACHE_SECONDS; 60 in the template); a revoked key is refused once it has passed.
"""
from __future__ import annotations

import pathlib
import uuid

import pytest

from tests.e2e.conftest import REPO_ROOT, start_local_system, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def quick_revocation_system(tmp_path_factory):
    folder = tmp_path_factory.mktemp("revocation")
    text = (REPO_ROOT / "template.yaml").read_text()
    assert "ReauthorizeEvery: 60" in text and 'KEY_CACHE_SECONDS: "60"' in text
    template = folder / "template.yaml"
    template.write_text(text.replace("ReauthorizeEvery: 60", "ReauthorizeEvery: 1")
                        .replace('KEY_CACHE_SECONDS: "60"', 'KEY_CACHE_SECONDS: "1"'))
    # the copy must find the code and ASL files where template.yaml's relative paths point
    for entry in REPO_ROOT.iterdir():
        if entry.name not in ("template.yaml", ".git", ".venv", ".local") and not (folder / entry.name).exists():
            (folder / entry.name).symlink_to(entry)
    system = start_local_system(folder, template=template)
    yield system
    system.stop()


def test_a_user_unknown_to_identity_is_refused_even_with_a_genuine_token(quick_revocation_system):
    system = quick_revocation_system
    token = system.token(user_id=f"ghost-{uuid.uuid4().hex[:6]}", org_id="org-src", roles=["admin"])

    assert system.request("GET", "/me", token=token).status == 401


def test_role_removal_then_deactivation_then_reinstatement_apply_to_a_token_already_issued(quick_revocation_system):
    system = quick_revocation_system
    admin = system.token("admin@src")
    created = system.request("POST", "/organisations/org-src/users", token=admin, headers={
        "Idempotency-Key": uuid.uuid4().hex}, json_body={
        "email": f"sm-{uuid.uuid4().hex[:6]}@src.example", "display_name": "Temporary stack manager",
        "roles": ["stack_manager"]})
    assert created.status == 202, created.body  # accepted: the provisioning saga creates the account
    user = created.json()
    path = f"/organisations/org-src/users/{user['id']}"

    def current() -> dict:
        return system.request("GET", path, token=admin).json()

    wait_for(lambda: current()["status"] == "active", what="the provisioning saga")
    token = system.token(user_id=user["id"], email=user["email"], org_id="org-src", roles=["stack_manager"])

    def write() -> int:
        return system.request("POST", "/location-profiles", token=token, headers={"Idempotency-Key": uuid.uuid4().hex},
                              json_body={"name": "Shelf", "width_mm": 1000, "height_mm": 350, "depth_mm": 400,
                                         "load_limit_kg": 100}).status

    assert write() == 201

    cut = system.request("PATCH", path, token=admin, json_body={"roles": ["requester"]},
                         headers={"If-Match": f'"{current()["version"]}"'})
    assert cut.status == 200, cut.body
    wait_for(lambda: write() == 403, timeout=60, what="the removed role to end (authorizer cache window)")

    off = system.request("POST", f"{path}/deactivate", token=admin, headers={"If-Match": f'"{current()["version"]}"'})
    assert off.status == 200, off.body
    wait_for(lambda: system.request("GET", "/me", token=token).status == 401, timeout=60, what="the deactivation to end access")
    assert write() == 401

    on = system.request("POST", f"{path}/reactivate", token=admin, headers={"If-Match": f'"{current()["version"]}"'})
    assert on.status == 200, on.body
    back = system.request("PATCH", path, token=admin, json_body={"roles": ["stack_manager"]},
                          headers={"If-Match": f'"{current()["version"]}"'})
    assert back.status == 200, back.body
    wait_for(lambda: write() == 201, what="the reinstated user's access")


def test_a_revoked_partner_key_is_refused_once_the_key_cache_window_has_passed(quick_revocation_system):
    system = quick_revocation_system
    admin = system.token("admin@src")
    wait_for(lambda: system.request("GET", "/me", token=admin).status == 200, what="the demo admin's provisioning")
    client = system.request("POST", "/partners/clients", token=admin, headers={"Idempotency-Key": uuid.uuid4().hex},
                            json_body={"name": "Revoked gateway", "contact": {"name": "Kim", "email": "k@gw.example"},
                                       "scopes": ["directory:read"]})
    assert client.status == 201, client.body
    keys = f"/partners/clients/{client.json()['id']}/keys"
    issued = system.request("POST", keys, token=admin, json_body={}).json()

    def directory() -> int:
        return system.request("GET", "/directory/organisations", headers={"X-Api-Key": issued["secret"]}).status

    assert directory() == 200  # a partner route moved onto partner keys, through the local gateway
    revoked = system.request("POST", f"{keys}/{issued['key']['id']}/revoke", token=admin)
    assert revoked.status == 200 and revoked.json()["status"] == "revoked"
    wait_for(lambda: directory() == 401, timeout=60, what="the revoked key to be refused (key cache window)")
    listed = system.request("GET", keys, token=admin).json()["items"]
    assert [(k["id"], k["status"]) for k in listed] == [(issued["key"]["id"], "revoked")]
    assert listed[0]["last_used_at"] is not None and "secret" not in listed[0]
