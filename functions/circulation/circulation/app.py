"""Circulation's HTTP routes: parse, call one logic function, shape the reply."""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext, file_reply, page
from shared.pagination import PAGE
from shared.problems import ValidationFailed

from . import logic, schemas

api = Api("circulation")
app = api.app
REQUESTS = "/circulation/requests"
ONE = "/circulation/requests/{request_id}"


def _request_reply(request, location: bool = False) -> Reply:
    return Reply(request.public(), version=request.version, location=f"{REQUESTS}/{request.id}" if location else None)


@api.route(REQUESTS, "POST", summary="Request a box", response=schemas.REQUEST, status=201,
           body=schemas.CREATE_REQUEST, idempotent=True, etag=True, errors=(403, 409))
def create_request(ctx: RequestContext) -> Reply:
    """Requesters and archivists ask to take one box of their organisation out of the stacks for a purpose
    (reading, conservation, exhibition, digitisation, transfer), a period (at most the policy's
    `max_period_days`) and a destination. The organisation's policy is checked at once (422
    `circulation-policy-refused` names the rule); a box circulation does not know answers 422 `unknown-box`,
    one that is missing or in transfer 409."""
    request = logic.create_request(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return _request_reply(request, location=True)


@api.route(REQUESTS, "GET", summary="List requests", response=schemas.REQUEST_PAGE,
           query=(*PAGE, schemas.REQUEST_STATUS, schemas.REQUEST_BOX, schemas.REQUESTER), errors=(403,))
def list_requests(ctx: RequestContext) -> Reply:
    """Newest first. Stack managers, admins and auditors see the organisation's requests; requesters and
    archivists their own. Filters apply within each page, so a page may hold fewer than `limit` items; follow
    `next_cursor` until it is null."""
    return page(*logic.list_requests(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"],
                                     ctx.query["status"], ctx.query["box_id"], ctx.query["requester"]))


@api.route(ONE, "GET", summary="Read a request", response=schemas.REQUEST, etag=True, errors=(403, 404))
def get_request(ctx: RequestContext, request_id: str) -> Reply:
    """Its status, parties, decision, and the current loan (check-out attempt) with due date, return and
    condition. Another organisation's request, or another person's for a requester, answers 404."""
    return _request_reply(logic.get_request(ctx.require_caller(), request_id))


@api.route(ONE + "/approve", "POST", summary="Approve a request", response=schemas.REQUEST, idempotent=True,
           if_match=True, etag=True, errors=(403, 404, 409))
def approve_request(ctx: RequestContext, request_id: str) -> Reply:
    """Stack managers and admins of the owning organisation; not one's own request unless the policy allows.
    The request becomes `approved`, or `queued` when another request holds the box or others already wait for
    it (first come, first served)."""
    version = ctx.expected_version()
    return _request_reply(logic.approve(ctx.require_caller(), request_id, version))


@api.route(ONE + "/reject", "POST", summary="Reject a request", response=schemas.REQUEST, body=schemas.REJECT,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def reject_request(ctx: RequestContext, request_id: str) -> Reply:
    """Stack managers and admins, with a reason kept on the request."""
    body = ctx.json()
    version = ctx.expected_version()
    return _request_reply(logic.reject(ctx.require_caller(), request_id, body, version))


@api.route(ONE + "/cancel", "POST", summary="Cancel a request", response=schemas.REQUEST, idempotent=True,
           if_match=True, etag=True, errors=(403, 404, 409))
def cancel_request(ctx: RequestContext, request_id: str) -> Reply:
    """The requester, or a stack manager, while it is requested, approved or queued. A ready request that is
    cancelled hands the box to the next in line."""
    version = ctx.expected_version()
    return _request_reply(logic.cancel(ctx.require_caller(), request_id, version))


@api.route(ONE + "/check-out", "POST", summary="Check the box out", response=schemas.REQUEST, status=202,
           also=(200,), idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def check_out_request(ctx: RequestContext, request_id: str) -> Reply:
    """Stack managers and admins, for an approved request. Starts the check-out saga and answers 202 with the
    request `checking_out`; poll it until `checked_out` (the box is reserved in the stacks, the loan is in the
    register, and the box's current location is the destination) or back to `approved`/`queued` with
    `last_failure` (the saga released the box, e.g. another check-out of the box won the race).

    When another request holds the box (it is out, on its way out, or ready for the next in line), nothing
    starts: the request joins the box's queue and the answer is 200 with the request `queued` (first come,
    first served). When the box is free again the first in line becomes `approved` with `ready_at` set (a
    `ReservationReady` event); then check it out."""
    version = ctx.expected_version()
    request = logic.check_out(ctx.require_caller(), request_id, version)
    reply = _request_reply(request, location=True)
    if request.status != "checking_out":
        reply.status, reply.location = 200, None  # queued (or already promoted, ready): no saga to poll
    return reply


@api.route(ONE + "/return", "POST", summary="Take the box back", response=schemas.REQUEST, status=202,
           body=schemas.RETURN, idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def return_request(ctx: RequestContext, request_id: str) -> Reply:
    """Stack managers and admins, with the box's condition (and a note). Starts the return saga and answers
    202 with the request `returning`; it becomes `returned` once the box is home on its shelf and the return
    is in the register, and the next request in the box's queue is promoted."""
    body = ctx.json()
    version = ctx.expected_version()
    return _request_reply(logic.start_return(ctx.require_caller(), request_id, body, version), location=True)


@api.route("/circulation/register", "GET", summary="The register (출입 및 열람·반출 관리대장)",
           response=schemas.REGISTER_PAGE, errors=(403,), formats=("csv",),
           query=(*PAGE, schemas.REGISTER_FROM, schemas.REGISTER_UNTIL, schemas.REGISTER_BOX, schemas.REGISTER_PERSON,
                  schemas.REGISTER_AS))
def read_register(ctx: RequestContext) -> Reply:
    """Every check-out and return (and the corrections a failed saga writes), in time order, filterable by
    period (`from`, `until`: days), box and person. `format=csv` exports every matching entry (at most 10,000;
    narrow the period for more). Stack managers, admins and auditors."""
    filters = {"since": ctx.query["from"], "until": ctx.query["until"], "box_id": ctx.query["box_id"],
               "person": ctx.query["person"]}
    if ctx.query["format"] == "csv":
        paging = [name for name in ("cursor", "limit") if ctx.raw_query.get(name)]
        if paging:  # a CSV export is the whole selection
            raise ValidationFailed("format=csv exports every matching entry; it takes no limit or cursor.",
                                   errors=[{"field": paging[0], "message": "not with format=csv"}])
        return file_reply(logic.export_register(ctx.require_caller(), **filters), "csv",
                          filename="circulation-register.csv", disposition="attachment")
    return page(*logic.read_register(ctx.require_caller(), **filters, limit=ctx.query["limit"],
                                     cursor=ctx.query["cursor"]))


@api.route("/circulation/policy", "GET", summary="Read the circulation policy", response=schemas.POLICY, etag=True,
           errors=(403,))
def get_policy(ctx: RequestContext) -> Reply:
    """The organisation's rules (the defaults until changed, with version 0): longest period, which purposes
    boxes of long retention may leave for, where each purpose may take a box, self-approval."""
    policy = logic.get_policy(ctx.require_caller())
    return Reply(policy.public(), version=policy.version)


@api.route("/circulation/policy", "PUT", summary="Replace the circulation policy", response=schemas.POLICY,
           body=schemas.POLICY_DOCUMENT, if_match=True, etag=True, errors=(403,))
def put_policy(ctx: RequestContext) -> Reply:
    """Stack managers and admins. Send the whole policy with `If-Match` of the last read (`"0"` while the
    defaults are in force)."""
    document = ctx.json()
    policy = logic.put_policy(ctx.require_caller(), document, ctx.expected_version())
    return Reply(policy.public(), version=policy.version)


# ----------------------------------------------------------------------- bulk
@api.route(REQUESTS + "/decisions", "POST", summary="Approve or reject many requests", response=schemas.DECISIONS,
           body=schemas.DECIDE_MANY, idempotent=True, errors=(403,))
def decide_requests(ctx: RequestContext) -> Reply:
    """Stack managers and admins: up to 50 requests, each approved or rejected exactly as its own `…/approve`
    or `…/reject` would (the same rules; a rejection's `reason` is kept on each), on the request as it stands
    now, and reported in `results` (`approved`, `queued`, `rejected`, or `failed` with its problem: 404 for
    an unknown or another organisation's id, 409 when its state no longer allows the decision). Requests for
    the same box are decided in the order listed (their queue order). A request listed twice refuses the whole
    call. Should the function run short of time (an overloaded system), the requests not yet decided fail
    with 503 and the call still answers: send them again. With an `Idempotency-Key` a retry returns the
    first results."""
    remaining = getattr(ctx.lambda_context, "get_remaining_time_in_millis", None)
    return Reply(logic.decide_many(ctx.require_caller(), ctx.json(), remaining))


handler = api.lambda_handler()
