"""Partner clients through the real partners handler against moto: registered and read by their
organisation only."""
from __future__ import annotations

import pytest

from tests.support.events import call_api, claims

ORG, OTHER_ORG = "org-alpha", "org-beta"
ADMIN = claims("u-admin", ORG, ["admin"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
OTHER_ADMIN = claims("u-beta-admin", OTHER_ORG, ["admin"])
CLIENT = {"name": "Scanner Co. cart", "contact": {"name": "Park", "email": "park@scanner.example"},
          "scopes": ["scans:write", "feed:read"], "event_types": ["inventory.*"],
          "quota": {"per_minute": 30, "per_day": 1000}}


@pytest.fixture
def partners(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "partners")
    from partners.app import handler

    def call(method, resource, *, who=ADMIN, **kwargs):
        return call_api(handler, method, resource, who=who, **kwargs)
    return call


def test_an_admin_registers_a_partner_client_that_only_its_organisation_sees(partners):
    status, client, headers = partners("POST", "/partners/clients", body=CLIENT, headers={"Idempotency-Key": "c-1"})
    assert status == 201, client
    assert client["scopes"] == ["scans:write", "feed:read"] and client["quota"] == {"per_minute": 30, "per_day": 1000}
    assert headers["location"].endswith(f"/partners/clients/{client['id']}")

    path = {"client_id": client["id"]}
    assert partners("GET", "/partners/clients/{client_id}", path=path, who=AUDITOR)[1]["name"] == "Scanner Co. cart"
    assert partners("GET", "/partners/clients/{client_id}", path=path, who=OTHER_ADMIN)[0] == 404
    assert partners("GET", "/partners/clients", who=OTHER_ADMIN)[1]["items"] == []
    assert partners("POST", "/partners/clients", body=CLIENT, who=ARCHIVIST)[0] == 403
