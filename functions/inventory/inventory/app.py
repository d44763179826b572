"""Inventory's HTTP routes: parse, call one logic function, shape the reply.

  /inventory/campaigns[/{campaign_id}]                       open, list, read
  /inventory/campaigns/{campaign_id}/sessions[/{session_id}/scans]   scanning (bulk, per shelf)
  /inventory/scanner/sessions/{session_id}/scans             the same for a partner scanner (API key)
  /inventory/campaigns/{campaign_id}/count                    close the scanning: compare (202, a state machine)
  /inventory/campaigns/{campaign_id}/results | /report        per box | per result and range (JSON, CSV, SVG)
  /inventory/campaigns/{campaign_id}/findings[/{finding_id}]  condition findings and their follow-up tasks
  /inventory/campaigns/{campaign_id}/close                    only when every finding has a decision
  /inventory/expected                                        boxes expected on a shelf or in a range
  /inventory/cycles                                           counting cycle per repository (the schedule's input)
"""
from __future__ import annotations

import re

from shared.concurrency import expected_version
from shared.http import Api, Reply, RequestContext
from shared.pagination import parse_limit
from shared.problems import NotFound
from shared.validation import validate

from . import logic, schemas

api = Api("inventory")
app = api.app
LIST_PARAMS = {"limit", "cursor"}
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8"}
_ID = re.compile(schemas.ID["pattern"])


def _id(value: str, what: str) -> str:
    """A path id that cannot be one of ours names nothing (404), whatever its length or characters."""
    if len(value) > schemas.ID["maxLength"] or not _ID.match(value):
        raise NotFound(f"No {what} with that id in your organisation.")
    return value


def _page(items, cursor) -> Reply:
    return Reply({"items": [i if isinstance(i, dict) else i.public() for i in items], "next_cursor": cursor})


# ------------------------------------------------------------------ campaigns
@api.route("/inventory/campaigns", "POST", idempotent=True)
def create_campaign(ctx: RequestContext) -> Reply:
    campaign = logic.create_campaign(ctx.require_caller(), ctx.json(schemas.CREATE_CAMPAIGN),
                                     ctx.header("idempotency-key"))
    return Reply(campaign.public(), status=201, version=campaign.version,
                 location=f"/inventory/campaigns/{campaign.id}")


@api.route("/inventory/campaigns", "GET")
def list_campaigns(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_campaigns(ctx.require_caller(), parse_limit(params), params.get("cursor")))


@api.route("/inventory/campaigns/{campaign_id}", "GET")
def get_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    ctx.params(set())
    campaign = logic.get_campaign(ctx.require_caller(), _id(campaign_id, "campaign"))
    return Reply(campaign.public(), version=campaign.version)


# ------------------------------------------------------------------- scanning
@api.route("/inventory/campaigns/{campaign_id}/sessions", "POST", idempotent=True)
def open_session(ctx: RequestContext, campaign_id: str) -> Reply:
    session = logic.open_session(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.json(schemas.OPEN_SESSION),
                                 ctx.header("idempotency-key"))
    return Reply(session.public(), status=201,
                 location=f"/inventory/campaigns/{campaign_id}/sessions/{session.id}")


@api.route("/inventory/campaigns/{campaign_id}/sessions", "GET")
def list_sessions(ctx: RequestContext, campaign_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_sessions(ctx.require_caller(), _id(campaign_id, "campaign"), parse_limit(params),
                                      params.get("cursor")))


@api.route("/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans", "POST", idempotent=True)
def post_scans(ctx: RequestContext, campaign_id: str, session_id: str) -> Reply:
    """Every barcode read on one shelf; posting the same shelf (and batch) again replaces it."""
    return Reply(logic.post_scans(ctx.require_caller(), _id(campaign_id, "campaign"), _id(session_id, "session"),
                                  ctx.json(schemas.POST_SCANS)))


@api.route("/inventory/scanner/sessions/{session_id}/scans", "POST", public=True, idempotent=True)
def partner_scans(ctx: RequestContext, session_id: str) -> Reply:
    """Partner route (API key): a scanner posts a shelf to the session bound to its key."""
    body = ctx.json(schemas.POST_SCANS)
    return Reply(logic.partner_scans(_api_key_id(), _id(session_id, "session"), body))


def _api_key_id() -> str | None:
    """Which partner API key API Gateway accepted (requestContext.identity.apiKeyId)."""
    request = getattr(app, "current_request", None)
    identity = ((getattr(request, "context", None) or {}).get("identity") or {}) if request is not None else {}
    return identity.get("apiKeyId")


# -------------------------------------------------------------------- counting
@api.route("/inventory/campaigns/{campaign_id}/count", "POST")
def count_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    campaign = logic.start_count(ctx.require_caller(), _id(campaign_id, "campaign"),
                                 expected_version(ctx.header("if-match")))
    # 202: a state machine compares expected with found; poll the campaign until `counted`.
    return Reply(campaign.public(), status=202, version=campaign.version,
                 location=f"/inventory/campaigns/{campaign.id}")


@api.route("/inventory/campaigns/{campaign_id}/results", "GET")
def list_results(ctx: RequestContext, campaign_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS | {"result"})
    result = params.get("result")
    if result is not None:
        validate(result, schemas.RESULT)
    return _page(*logic.results(ctx.require_caller(), _id(campaign_id, "campaign"), result, parse_limit(params),
                                params.get("cursor")))


@api.route("/inventory/campaigns/{campaign_id}/report", "GET")
def campaign_report(ctx: RequestContext, campaign_id: str) -> Reply:
    """JSON counts per result and range; `format=csv` (or Accept: text/csv) one row per range;
    `format=svg` (or Accept: image/svg+xml) a bar chart of them."""
    params = ctx.params({"format"})
    fmt = params.get("format")
    if fmt is not None:
        validate(fmt, schemas.REPORT_FORMAT)
    else:
        fmt = _negotiate(ctx.header("accept"))
    report = logic.report(ctx.require_caller(), _id(campaign_id, "campaign"))
    if fmt == "csv":
        return Reply(logic.report_csv(report), content_type=MEDIA_TYPES["csv"],
                     headers={"Content-Disposition": f'inline; filename="stock-take-{report["campaign_id"]}.csv"'})
    if fmt == "svg":
        return Reply(logic.report_svg(report), content_type=MEDIA_TYPES["svg"])
    return Reply(report)


def _negotiate(accept: str | None) -> str:
    accept = (accept or "").lower()
    if "text/csv" in accept:
        return "csv"
    if "image/svg+xml" in accept:
        return "svg"
    return "json"


# -------------------------------------------------------------------- findings
@api.route("/inventory/campaigns/{campaign_id}/findings", "POST", idempotent=True)
def record_finding(ctx: RequestContext, campaign_id: str) -> Reply:
    finding = logic.record_finding(ctx.require_caller(), _id(campaign_id, "campaign"),
                                   ctx.json(schemas.RECORD_FINDING), ctx.header("idempotency-key"))
    return Reply(finding.public(), status=201, version=finding.version,
                 location=f"/inventory/campaigns/{campaign_id}/findings/{finding.id}")


@api.route("/inventory/campaigns/{campaign_id}/findings", "GET")
def list_findings(ctx: RequestContext, campaign_id: str) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_findings(ctx.require_caller(), _id(campaign_id, "campaign"), parse_limit(params),
                                      params.get("cursor")))


@api.route("/inventory/campaigns/{campaign_id}/findings/{finding_id}", "GET")
def get_finding(ctx: RequestContext, campaign_id: str, finding_id: str) -> Reply:
    ctx.params(set())
    finding = logic.get_finding(ctx.require_caller(), _id(campaign_id, "campaign"), _id(finding_id, "finding"))
    return Reply(finding.public(), version=finding.version)


@api.route("/inventory/campaigns/{campaign_id}/findings/{finding_id}", "PATCH")
def update_finding(ctx: RequestContext, campaign_id: str, finding_id: str) -> Reply:
    changes = ctx.json(schemas.UPDATE_FINDING)
    finding = logic.update_finding(ctx.require_caller(), _id(campaign_id, "campaign"), _id(finding_id, "finding"),
                                   changes, expected_version(ctx.header("if-match")))
    return Reply(finding.public(), version=finding.version)


@api.route("/inventory/campaigns/{campaign_id}/close", "POST")
def close_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    campaign = logic.close_campaign(ctx.require_caller(), _id(campaign_id, "campaign"),
                                    expected_version(ctx.header("if-match")))
    return Reply(campaign.public(), version=campaign.version)


# -------------------------------------------------------------------- holdings
@api.route("/inventory/expected", "GET")
def expected_holdings(ctx: RequestContext) -> Reply:
    """The boxes expected on a shelf or in a range (for a scanner's worklist)."""
    params = ctx.params(LIST_PARAMS | {"location_id"})
    location_id = params.get("location_id")  # required: the logic says so when it is missing
    if location_id is not None:
        validate(location_id, schemas.EXPECTED_AT)
    return _page(*logic.expected(ctx.require_caller(), location_id, parse_limit(params), params.get("cursor")))


# ---------------------------------------------------------------------- cycles
@api.route("/inventory/cycles", "POST", idempotent=True)
def set_cycle(ctx: RequestContext) -> Reply:
    cycle = logic.set_cycle(ctx.require_caller(), ctx.json(schemas.SET_CYCLE))
    return Reply(cycle.public(), version=cycle.version)


@api.route("/inventory/cycles", "GET")
def list_cycles(ctx: RequestContext) -> Reply:
    params = ctx.params(LIST_PARAMS)
    return _page(*logic.list_cycles(ctx.require_caller(), parse_limit(params), params.get("cursor")))


handler = api.lambda_handler()
