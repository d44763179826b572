"""Inventory's HTTP routes: parse, call one logic function, shape the reply.

  /inventory/campaigns[/{campaign_id}]                       open, list, read
  /inventory/campaigns/{campaign_id}/sessions[/{session_id}/scans]   scanning (bulk, per shelf)
  /inventory/scanner/sessions/{session_id}/scans             the same for a partner scanner (partner key)
  /inventory/campaigns/{campaign_id}/count                    close the scanning: compare (202, a state machine)
  /inventory/campaigns/{campaign_id}/results | /report        per box | per result and range (JSON, CSV, SVG)
  /inventory/campaigns/{campaign_id}/findings[/{finding_id}]  condition findings and their follow-up tasks
  /inventory/campaigns/{campaign_id}/close                    only when every finding has a decision
  /inventory/expected                                        boxes expected on a shelf or in a range
  /inventory/cycles[/{repository_id}]                         counting cycle per repository (the schedule's input)
"""
from __future__ import annotations


from shared.http import Api, Reply, RequestContext, path_ids, file_reply, negotiate, page
from shared.pagination import PAGE

from . import logic, schemas

api = Api("inventory")
app = api.app
_id = path_ids(schemas.ID)



# ------------------------------------------------------------------ campaigns
@api.route("/inventory/campaigns", "POST", summary="Open a stock-take campaign", response=schemas.CAMPAIGN,
           status=201, body=schemas.CREATE_CAMPAIGN, idempotent=True, etag=True, errors=(403, 404))
def create_campaign(ctx: RequestContext) -> Reply:
    """Stack managers and admins. A campaign (정수점검) covers a repository or some of its ranges; staff scan its
    shelves, then `count` compares what was found with the expected holdings (kept from stacks' box events).
    A repository your organisation does not have (as stacks' events told inventory) answers 404. With an
    `Idempotency-Key` a retry opens nothing twice."""
    campaign = logic.create_campaign(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(campaign.public(), version=campaign.version, location=f"/inventory/campaigns/{campaign.id}")


@api.route("/inventory/campaigns", "GET", summary="List campaigns", response=schemas.CAMPAIGN_PAGE, query=PAGE,
           errors=(403,))
def list_campaigns(ctx: RequestContext) -> Reply:
    """The organisation's campaigns (stack managers, admins, archivists, auditors)."""
    return page(*logic.list_campaigns(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/inventory/campaigns/{campaign_id}", "GET", summary="Read a campaign", response=schemas.CAMPAIGN,
           etag=True, errors=(403, 404))
def get_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    """Its status (`open` → `counting` → `counted` → `closed`), run and finding counters; another
    organisation's campaign answers 404."""
    campaign = logic.get_campaign(ctx.require_caller(), _id(campaign_id, "campaign"))
    return Reply(campaign.public(), version=campaign.version)


# ------------------------------------------------------------------- scanning
@api.route("/inventory/campaigns/{campaign_id}/sessions", "POST", summary="Open a scanning session",
           response=schemas.SESSION, status=201, body=schemas.OPEN_SESSION, idempotent=True, errors=(403, 404, 409))
def open_session(ctx: RequestContext, campaign_id: str) -> Reply:
    """Stack managers, admins and archivists, while the campaign is `open` (409 after its count started)."""
    session = logic.open_session(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.json(),
                                 ctx.header("idempotency-key"))
    return Reply(session.public(), location=f"/inventory/campaigns/{campaign_id}/sessions/{session.id}")


@api.route("/inventory/campaigns/{campaign_id}/sessions", "GET", summary="List a campaign's scanning sessions",
           response=schemas.SESSION_PAGE, query=PAGE, errors=(403, 404))
def list_sessions(ctx: RequestContext, campaign_id: str) -> Reply:
    """Who scanned with what device."""
    return page(*logic.list_sessions(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.query["limit"],
                                     ctx.query["cursor"]))


@api.route("/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans", "POST",
           summary="Post what was found on a shelf", response=schemas.SCANS_ACCEPTED, body=schemas.POST_SCANS,
           idempotent=True, errors=(403, 404, 409))
def post_scans(ctx: RequestContext, campaign_id: str, session_id: str) -> Reply:
    """Every barcode read on one shelf of the campaign's scope (up to 5,000 per call; a larger shelf in
    `batch` 1, 2, ...). Posting the same shelf and batch again replaces it (a rescan is the shelf's recount),
    so an interrupted scan resumes by posting the remaining shelves. A barcode read on two shelves counts
    where it was read last. Refused with 409 once the count started; a shelf outside the scope is a 400."""
    return Reply(logic.post_scans(ctx.require_caller(), _id(campaign_id, "campaign"), _id(session_id, "session"),
                                  ctx.json()))


@api.route("/inventory/scanner/sessions/{session_id}/scans", "POST",
           summary="Partner scanner: post what was found on a shelf", response=schemas.SCANS_ACCEPTED,
           body=schemas.POST_SCANS, partner="scans:write", idempotent=True, errors=(403, 404, 409))
def partner_scans(ctx: RequestContext, session_id: str) -> Reply:
    """For barcode scanners (partner key, scope `scans:write`): the same as the staff route, into a session a
    stack manager opened for this partner client (`partner_client_id`). A session that is not bound to a scanner
    (or is another organisation's) answers 404, one bound to another client 403, and nothing is written."""
    body = ctx.json()
    return Reply(logic.partner_scans(ctx.require_partner(), _id(session_id, "session"), body))


# -------------------------------------------------------------------- counting
@api.route("/inventory/campaigns/{campaign_id}/count", "POST", summary="Count: compare expected with found",
           response=schemas.CAMPAIGN, status=202, if_match=True, etag=True, errors=(403, 404, 409))
def count_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    """Stack managers and admins: closes the scanning and starts the stock-take state machine, which compares
    the expected boxes page by page (ranges in parallel) with the scans: `ok`, `misplaced` (found on another
    shelf), `missing`, `checked_out` (absent, and that is fine) and `unexpected` (unknown, or not expected
    here). Answers 202; poll the campaign until `counted` (a failed count opens it again with `last_error`).
    Send `If-Match` with the campaign's ETag."""
    campaign = logic.start_count(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.expected_version())
    return Reply(campaign.public(), version=campaign.version, location=f"/inventory/campaigns/{campaign.id}")


@api.route("/inventory/campaigns/{campaign_id}/results", "GET", summary="Results per box",
           response=schemas.RESULT_PAGE, query=(*PAGE, schemas.RESULT_FILTER), errors=(403, 404))
def list_results(ctx: RequestContext, campaign_id: str) -> Reply:
    """The last count's result for each expected box and each unexpected barcode, by result, shelf and box;
    `result` filters."""
    return page(*logic.results(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.query["result"],
                               ctx.query["limit"], ctx.query["cursor"]))


@api.route("/inventory/campaigns/{campaign_id}/report", "GET", summary="Campaign report", response=schemas.REPORT,
           query=(schemas.REPORT_AS,), errors=(403, 404), formats=("csv", "svg"))
def campaign_report(ctx: RequestContext, campaign_id: str) -> Reply:
    """Counts per result and per range (JSON); one row per range with `format=csv` (or `Accept: text/csv`); a
    bar chart of them with `format=svg` (or `Accept: image/svg+xml`). Empty until counted."""
    fmt = negotiate(ctx.query["format"], ctx.header("accept"))
    report = logic.report(ctx.require_caller(), _id(campaign_id, "campaign"))
    if fmt == "csv":
        return file_reply(logic.report_csv(report), "csv", filename=f"stock-take-{report['campaign_id']}.csv")
    if fmt == "svg":
        return file_reply(logic.report_svg(report), "svg")
    return Reply(report)


# -------------------------------------------------------------------- findings
@api.route("/inventory/campaigns/{campaign_id}/findings", "POST", summary="Record a condition finding",
           response=schemas.FINDING, status=201, body=schemas.RECORD_FINDING, idempotent=True, etag=True,
           errors=(403, 404, 409))
def record_finding(ctx: RequestContext, campaign_id: str) -> Reply:
    """Stack managers, admins and archivists: a box's condition (상태검사: damaged, mould, faded, ...) opens a
    follow-up task (사후조치) with an owner. A campaign closes only when every finding has a decision."""
    finding = logic.record_finding(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.json(),
                                   ctx.header("idempotency-key"))
    return Reply(finding.public(), version=finding.version,
                 location=f"/inventory/campaigns/{campaign_id}/findings/{finding.id}")


@api.route("/inventory/campaigns/{campaign_id}/findings", "GET", summary="List a campaign's findings",
           response=schemas.FINDING_PAGE, query=PAGE, errors=(403, 404))
def list_findings(ctx: RequestContext, campaign_id: str) -> Reply:
    """With their follow-up tasks (owner, status, decision)."""
    return page(*logic.list_findings(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.query["limit"],
                                     ctx.query["cursor"]))


@api.route("/inventory/campaigns/{campaign_id}/findings/{finding_id}", "GET", summary="Read a finding",
           response=schemas.FINDING, etag=True, errors=(403, 404))
def get_finding(ctx: RequestContext, campaign_id: str, finding_id: str) -> Reply:
    """With its follow-up task."""
    finding = logic.get_finding(ctx.require_caller(), _id(campaign_id, "campaign"), _id(finding_id, "finding"))
    return Reply(finding.public(), version=finding.version)


@api.route("/inventory/campaigns/{campaign_id}/findings/{finding_id}", "PATCH", summary="Follow a finding up",
           response=schemas.FINDING, body=schemas.UPDATE_FINDING, if_match=True, etag=True, errors=(403, 404, 409))
def update_finding(ctx: RequestContext, campaign_id: str, finding_id: str) -> Reply:
    """Owner and task status (`open`, `in_progress`, `done`) by stack managers, admins and archivists; the
    `decision` (conservation, rehouse, digitise, monitor, write_off, no_action) by stack managers and admins."""
    changes = ctx.json()
    finding = logic.update_finding(ctx.require_caller(), _id(campaign_id, "campaign"), _id(finding_id, "finding"),
                                   changes, ctx.expected_version())
    return Reply(finding.public(), version=finding.version)


@api.route("/inventory/campaigns/{campaign_id}/close", "POST", summary="Close a campaign",
           response=schemas.CAMPAIGN, if_match=True, etag=True, errors=(403, 404, 409))
def close_campaign(ctx: RequestContext, campaign_id: str) -> Reply:
    """Stack managers and admins, once counted and when every finding has a decision (409 problem otherwise).
    Closing a whole-repository campaign restarts the repository's counting cycle. Send `If-Match`."""
    campaign = logic.close_campaign(ctx.require_caller(), _id(campaign_id, "campaign"), ctx.expected_version())
    return Reply(campaign.public(), version=campaign.version)


# -------------------------------------------------------------------- holdings
@api.route("/inventory/expected", "GET", summary="Boxes expected on a shelf or in a range",
           response=schemas.HOLDING_PAGE, query=(*PAGE, schemas.EXPECTED_AT_FILTER), errors=(403,))
def expected_holdings(ctx: RequestContext) -> Reply:
    """A scanner's worklist: the boxes whose home is the shelf (or in the range), from inventory's read model
    of stacks' box events (it follows stacks within seconds). Stack managers, admins, archivists and auditors."""
    return page(*logic.expected(ctx.require_caller(), ctx.query["location_id"], ctx.query["limit"],
                                ctx.query["cursor"]))


# ---------------------------------------------------------------------- cycles
@api.route("/inventory/cycles", "POST", summary="Set a repository's counting cycle", response=schemas.CYCLE,
           status=201, also=(200,), body=schemas.SET_CYCLE, idempotent=True, etag=True, errors=(403, 404, 409))
def set_cycle(ctx: RequestContext) -> Reply:
    """Stack managers and admins: every holding of the repository is counted at least every `cycle_years`
    (default 4). A daily schedule opens a campaign for each repository whose cycle is due. The repository must
    be one of your organisation's (else 404). Answers 201 with the cycle when it creates the repository's
    cycle, 200 when it replaces the one set before."""
    cycle = logic.set_cycle(ctx.require_caller(), ctx.json())
    created = cycle.version == 1  # no cycle was set for the repository before
    return Reply(cycle.public(), status=201 if created else 200, version=cycle.version,
                 location=f"/inventory/cycles/{cycle.repository_id}" if created else None)


@api.route("/inventory/cycles/{repository_id}", "GET", summary="Read a repository's counting cycle",
           response=schemas.CYCLE, etag=True, errors=(403, 404))
def get_cycle(ctx: RequestContext, repository_id: str) -> Reply:
    """Its cycle, last count, next due date and open campaign; a repository without a cycle (or another
    organisation's) answers 404."""
    cycle = logic.get_cycle(ctx.require_caller(), _id(repository_id, "cycle"))
    return Reply(cycle.public(), version=cycle.version)


@api.route("/inventory/cycles", "GET", summary="List counting cycles", response=schemas.CYCLE_PAGE, query=PAGE,
           errors=(403,))
def list_cycles(ctx: RequestContext) -> Reply:
    """Each repository's cycle, last count and next due date."""
    return page(*logic.list_cycles(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


handler = api.lambda_handler()
