"""The local system itself, over HTTP: gateway, authorizer, API keys, CORS, local
endpoints, schedules, the outbox → bus → queue → consumer path and persistence.

GIVEN the system started from template.yaml (tests/e2e/conftest.py), WHEN a client
calls it as it would call API Gateway, THEN it answers as API Gateway and Lambda would.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from infrastructure.local.template import FUNCTION, Template
from tests.e2e.conftest import REPO_ROOT, start_local_system, wait_for
from tests.support.template import template

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"
TEMPLATE = Template(REPO_ROOT / "template.yaml", queue_endpoint="http://unused")


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _moto_signed(claims: dict) -> str:
    """A token signed with the emulated pool's own key (moto ships it): valid but for what we change."""
    key = jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": "dummy"})


# ------------------------------------------------------------------- health
def test_health_lists_every_function_of_the_template_as_ready(local_system):
    response = local_system.request("GET", "/_local/health")

    assert response.status == 200
    body = response.json()
    assert body["status"] == "ok" and body["moto"] == "ok"
    assert set(body["functions"]) == set(TEMPLATE.of_type(FUNCTION))
    assert {f["status"] for f in body["functions"].values()} == {"ready"}


# ------------------------------------------------------------- authorizer
def test_route_without_token_is_401_problem(local_system):
    response = local_system.request("GET", "/me")

    assert response.status == 401
    assert response.content_type == PROBLEM
    assert response.json()["type"].endswith("/unauthenticated")


def test_valid_token_with_or_without_bearer_prefix_reaches_the_function(local_system):
    token = local_system.token("admin@src")

    for header in (f"Bearer {token}", token):
        response = local_system.request("GET", "/me", headers={"Authorization": header})
        assert response.status == 200, response.body
        assert response.json()["user"]["id"] == "u-admin-src"


def test_the_authorizers_answer_reaches_the_function_as_api_gateway_passes_it(local_system):
    # The token claims more roles than identity's table gives the user: the table wins.
    token = local_system.token(user_id="u-archivist-src", email="archivist@src.example", org_id="org-src",
                               roles=["archivist", "auditor"])

    me = local_system.request("GET", "/me", token=token).json()

    assert me["user"]["id"] == "u-archivist-src" and me["user"]["org_id"] == "org-src"
    assert me["roles"] == ["archivist"]  # the authorizer's context carried "archivist", from the table


def test_token_signed_with_another_key_is_401(local_system):
    forged = jwt.encode(_claims(local_system.token("admin@src")),
                        rsa.generate_private_key(public_exponent=65537, key_size=2048),
                        algorithm="RS256", headers={"kid": "dummy"})

    response = local_system.request("GET", "/me", token=forged)

    assert response.status == 401 and response.content_type == PROBLEM


def test_token_with_tampered_payload_is_401(local_system):
    header, payload, signature = local_system.token("admin@src").split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["custom:org_id"] = "org-moc"
    tampered = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()

    response = local_system.request("GET", "/me", token=f"{header}.{tampered}.{signature}")

    assert response.status == 401


@pytest.mark.parametrize("change", [
    pytest.param({"exp": int(time.time()) - 60}, id="expired"),
    pytest.param({"aud": "another-app-client"}, id="other-audience"),
    pytest.param({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, id="other-pool"),
    pytest.param({"token_use": "access"}, id="access-token"),
])
def test_token_the_cognito_authorizer_would_refuse_is_401(local_system, change):
    genuine = _claims(local_system.token("admin@src"))
    assert local_system.request("GET", "/me", token=_moto_signed(genuine)).status == 200  # the forging is sound

    response = local_system.request("GET", "/me", token=_moto_signed({**genuine, **change}))

    assert response.status == 401


def test_token_endpoint_rejects_unknown_roles_with_a_problem(local_system):
    response = local_system.request("POST", "/_local/token", json_body={"user_id": "x", "roles": ["king"]})

    assert response.status == 400
    assert response.content_type == PROBLEM
    assert response.json()["errors"][0]["field"] == "roles"


# ---------------------------------------------------------------- API keys
def test_partner_route_needs_the_api_key(local_system):
    """A partner client's key, checked by the partner authorizer (a wrong or missing key: 401, as a bad token)."""
    wrong = local_system.request("GET", "/directory/organisations", headers={"X-Api-Key": "wrong"})
    missing = local_system.request("GET", "/directory/organisations")
    right = local_system.request("GET", "/directory/organisations", headers={"X-Api-Key": local_system.api_key})

    assert wrong.status == 401 and missing.status == 401
    assert wrong.content_type == PROBLEM and wrong.json()["type"].endswith("/unauthenticated")
    assert right.status == 200
    assert "org-nak" in {org["id"] for org in right.json()["items"]}
    assert right.headers["RateLimit-Policy"].startswith('"minute";q=')


# ------------------------------------------------------------ routing, CORS
@pytest.mark.parametrize("method, path", [("GET", "/no/such/route"), ("DELETE", "/me")])
def test_unknown_route_or_method_is_404_problem(local_system, method, path):
    response = local_system.request(method, path, token=local_system.token("admin@src"))

    assert response.status == 404
    assert response.content_type == PROBLEM
    assert response.json()["type"].endswith("/not-found")


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_a_method_the_api_does_not_serve_is_405_problem_with_allow(local_system, method):
    response = local_system.request(method, "/me", token=local_system.token("admin@src"))

    assert response.status == 405
    assert response.content_type == PROBLEM
    assert response.json()["type"].endswith("/method-not-allowed")
    assert "GET" in response.headers["Allow"] and "TRACE" not in response.headers["Allow"]


def test_cors_preflight_answers_the_templates_headers_without_auth(local_system):
    response = local_system.request("OPTIONS", "/organisations/org-src/users", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_function_responses_carry_cors_and_the_callers_correlation_id(local_system):
    response = local_system.request("GET", "/me", token=local_system.token("admin@src"),
                                    headers={"X-Correlation-Id": "e2e-correlation-1"})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Correlation-Id"] == "e2e-correlation-1"


def test_a_location_header_is_followed_where_the_client_called_the_api(local_system):
    """API Gateway's execute-api address puts the stage first (/v1/...): a Location keeps the stage the
    request came through, and the stand-in serves the stage-prefixed address as well as the root."""
    token, stage = local_system.token("admin@src"), template()["Parameters"]["Stage"]["Default"]
    created = local_system.request("POST", "/location-profiles", token=token, json_body={
        "name": f"e2e-{uuid.uuid4().hex[:6]}", "width_mm": 1000, "height_mm": 350, "depth_mm": 400,
        "load_limit_kg": 100})
    assert created.status == 201, created.body
    profile_id = created.json()["id"]

    assert created.headers["Location"] == f"/{stage}/location-profiles/{profile_id}"
    for path in (created.headers["Location"], f"/location-profiles/{profile_id}"):
        followed = local_system.request("GET", path, token=token)
        assert followed.status == 200 and followed.json()["id"] == profile_id, (path, followed.body)


def test_body_over_10_mib_is_413_problem(local_system):
    response = local_system.request("POST", "/organisations", token=local_system.token("sysadmin@nak"),
                                    body=b"x" * (10 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"})

    assert response.status == 413
    assert response.content_type == PROBLEM


# ------------------------------------------------------------ documentation
def test_openapi_document_and_docs_page_are_served(local_system):
    document = local_system.request("GET", "/openapi.json")
    docs = local_system.request("GET", "/docs")

    assert document.status == 200
    assert "/organisations/{org_id}/users" in document.json()["paths"]
    assert document.json()["servers"][0]["url"] == local_system.base_url
    assert docs.status == 200
    assert b"/openapi.json" in docs.body
    for asset, kind in (("/docs/swagger-ui-bundle.js", "javascript"), ("/docs/swagger-ui.css", "css")):
        served = local_system.request("GET", asset)  # from a package: /docs needs no network
        assert served.status == 200 and kind in served.content_type and len(served.body) > 10_000


# ---------------------------------------------------------------- schedules
def test_every_schedule_of_the_template_is_listed(local_system):
    listed = local_system.request("GET", "/_local/schedules").json()["schedules"]

    in_template = {event_id for props in TEMPLATE.of_type(FUNCTION).values()
                   for event_id, event in (props.get("Events") or {}).items()
                   if event["Type"] in ("Schedule", "ScheduleV2")}
    assert {s["event"] for s in listed} == in_template


def test_a_schedule_runs_on_demand_by_its_job_name(local_system):
    response = local_system.request("POST", "/_local/schedules/reconcile_provisioning/run")

    assert response.status == 200
    assert response.json()["ok"] is True


def test_make_job_fires_a_schedule_on_the_running_system(local_system):
    run = subprocess.run([sys.executable, "-m", "infrastructure.local.jobs", "ReconcileProvisioning",
                          "--url", local_system.base_url], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["function"] == "IdentityTasksFunction"


# ---------------------------------------------- outbox → bus → queue → audit
def test_a_user_created_through_the_api_is_provisioned_and_audited(local_system):
    admin, auditor = local_system.token("admin@src"), local_system.token("auditor@src")

    created = local_system.request("POST", "/organisations/org-src/users", token=admin, json_body={
        "email": f"e2e-{uuid.uuid4().hex[:6]}@src.example", "display_name": "E2E Archivist", "roles": ["archivist"]})
    assert created.status == 202, created.body
    user_id = created.json()["id"]

    def provisioned():
        user = local_system.request("GET", f"/organisations/org-src/users/{user_id}", token=admin).json()
        return user["status"] == "active"

    def audited():
        response = local_system.request("GET", f"/audit/entities/{user_id}/events", token=auditor)
        types = [entry["event"]["type"] for entry in response.json()["items"]] if response.status == 200 else []
        return {"UserRegistered", "UserProvisioned"} <= set(types)

    wait_for(provisioned, what="the provisioning saga (Step Functions → IdentityTasksFunction)")
    wait_for(audited, what="the user's events in the audit trail (stream → relay → bus → queue → consumer)")


# -------------------------------------------------------------- persistence
def _history(system, entity_id: str, token: str) -> dict | None:
    response = system.request("GET", f"/audit/entities/{entity_id}/events", token=token)
    return response.json() if response.status == 200 else None


def test_data_survives_a_restart_and_replayed_events_are_not_recorded_twice(tmp_path):
    first = start_local_system(tmp_path)
    try:
        admin, auditor = first.token("admin@src"), first.token("auditor@src")
        before = wait_for(lambda: (h := _history(first, "u-archivist-src", auditor)) and h["entity"]["events"] >= 2 and h,
                          what="the demo archivist's registration and provisioning in the audit trail")
    finally:
        first.stop()

    second = start_local_system(tmp_path, fresh=False)
    try:
        user = second.request("GET", "/organisations/org-src/users/u-archivist-src", token=admin)  # token still valid
        assert user.status == 200 and user.json()["status"] == "active"
        renamed = second.request("PATCH", "/organisations/org-src/users/u-archivist-src", token=admin,
                                 json_body={"display_name": "Renamed Archivist"}, headers={"If-Match": user.headers["ETag"]})
        assert renamed.status == 200, renamed.body
        after = wait_for(lambda: (h := _history(second, "u-archivist-src", auditor)) and
                         h["entity"]["events"] >= before["entity"]["events"] + 1 and h, what="the rename in the audit trail")
        # The restored outbox was relayed again (at-least-once); the trail deduplicated it.
        assert after["entity"]["events"] == before["entity"]["events"] + 1
        assert [e["event"]["id"] for e in after["items"][:-1]] == [e["event"]["id"] for e in before["items"]]
        verified = second.request("GET", "/audit/entities/u-archivist-src/events?verify=true", token=auditor).json()
        assert verified["verification"]["valid"] is True
    finally:
        second.stop()


def test_a_malformed_content_length_gets_a_400_answer(local_system):
    import socket
    from urllib.parse import urlparse
    url = urlparse(local_system.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(b"POST /organisations HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400") and b"application/problem+json" in answer
