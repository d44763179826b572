"""Partner access in template.yaml: every partner route behind the partner authorizer and an API key;
that authorizer never cached by API Gateway (each call is counted) but its look-up cache bounded to a
minute; the usage plan as the outer guard through the key the authorizer presents; every capability's
events (later ones too) reaching the change feed."""
from __future__ import annotations

import pathlib
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE: dict[str, Any] = yaml_parse((ROOT / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]
API = RESOURCES["RecordsApi"]["Properties"]


def _api_events():
    for logical, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            for name, event in (resource["Properties"].get("Events") or {}).items():
                if event["Type"] == "Api":
                    yield logical, name, event["Properties"]


def test_the_partner_authorizer_runs_on_every_call_and_caches_its_look_up_a_minute_at_most():
    authorizer = API["Auth"]["Authorizers"]["PartnerAuthorizer"]
    assert authorizer["FunctionPayloadType"] == "REQUEST"
    assert authorizer["Identity"] == {"Headers": ["X-Api-Key"], "ReauthorizeEvery": 0}
    function = RESOURCES["PartnersAuthorizerFunction"]["Properties"]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["PartnersAuthorizerFunction", "Arn"]}
    assert 0 < int(function["Environment"]["Variables"]["KEY_CACHE_SECONDS"]) <= 60


def test_every_partner_route_needs_the_partner_authorizer_and_the_usage_plan_key():
    partner_routes = {(p["Method"], p["Path"]) for _, _, p in _api_events() if (p.get("Auth") or {}).get("ApiKeyRequired")}
    assert {("GET", "/directory/organisations"), ("POST", "/environment/readings"),
            ("POST", "/inventory/scanner/sessions/{session_id}/scans"), ("GET", "/partners/feed")} <= partner_routes
    for logical, name, props in _api_events():
        auth = props.get("Auth") or {}
        assert auth.get("Authorizer") != "NONE", f"{logical}.{name} is open"
        if auth.get("ApiKeyRequired"):
            assert auth["Authorizer"] == "PartnerAuthorizer", f"{logical}.{name}"


def test_the_usage_plan_is_the_outer_guard_counted_with_the_key_the_authorizer_presents():
    assert API["ApiKeySourceType"] == "AUTHORIZER"
    plan = RESOURCES["PartnerUsagePlan"]["Properties"]
    assert plan["Throttle"] and plan["Quota"] and plan["ApiStages"][0]["ApiId"] == {"Ref": "RecordsApi"}
    key = RESOURCES["PartnerUsagePlanKey"]["Properties"]
    assert key["KeyId"] == {"Ref": "PartnerUsageKey"} and key["UsagePlanId"] == {"Ref": "PartnerUsagePlan"}
    presented = RESOURCES["PartnersAuthorizerFunction"]["Properties"]["Environment"]["Variables"]["PARTNER_USAGE_KEY"]
    assert presented == RESOURCES["PartnerUsageKey"]["Properties"]["Value"]


def test_every_capability_s_events_reach_the_change_feed_through_its_own_queue():
    rule = RESOURCES["PartnersRule"]["Properties"]
    assert rule["EventPattern"] == {"source": [{"prefix": "records."}]}  # not a list: capabilities added later too
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["PartnersQueue", "Arn"]}
    source = RESOURCES["PartnersEventsFunction"]["Properties"]["Events"]["DomainEvents"]["Properties"]
    assert source["Queue"] == {"Fn::GetAtt": ["PartnersQueue", "Arn"]}
