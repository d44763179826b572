"""Disposal's HTTP routes: parse, call one logic function, shape the reply.

  /disposal/holds[/{hold_id}[/lift]]                         holds (보류): place, list, read, lift
  /disposal/files/{file_id}/holds                            why a file cannot be destroyed: the holds on it
  /disposal/review-lists[/{list_id}]                         review lists (폐기 심의 대상): by hand, list, read
  /disposal/review-lists/{list_id}/files[/{file_id}]         the listed files and their three steps
  /disposal/review-lists/{list_id}/files/{file_id}/opinion   step 1, the producing unit's opinion
  /disposal/review-lists/{list_id}/files/{file_id}/review    step 2, a records professional's review
  /disposal/review-lists/{list_id}/files/{file_id}/decision  step 3, the committee's decision and votes
  /disposal/committee/members[/{member_id}]                  the appraisal committee's named members
  /disposal/committee/meetings[/{meeting_id}]                its meetings (date, members present)
  /disposal/settings                                         the organisation's grace period (days)
  /disposal/runs[/{run_id}[/files|/cancel]]                  destruction runs (폐기 집행): ask (a saga), read, cancel
  /disposal/runs/{run_id}/certificate[.pdf]                  the destruction certificate (폐기 확인서)
  /disposal/register                                         the destruction register (폐기 대장), JSON or CSV
"""
from __future__ import annotations


from dataclasses import asdict

from shared.http import Api, Reply, RequestContext, file_reply, negotiate, page, path_ids
from shared.problems import ValidationFailed
from shared.pagination import PAGE

from . import logic, schemas

api = Api("disposal")
app = api.app
_id = path_ids(schemas.ID)



def _public(entity) -> Reply:
    return Reply(entity.public(), version=entity.version)


# ---------------------------------------------------------------------- holds
@api.route("/disposal/holds", "POST", summary="Place a hold", response=schemas.HOLD, status=201,
           body=schemas.PLACE_HOLD, idempotent=True, etag=True, errors=(403,))
def place_hold(ctx: RequestContext) -> Reply:
    """Archivists and admins. A mandate (reason, authority, reference) and a scope (files, every file of a class
    code, every file of a producing unit — at least one). While it is active nothing in its scope is listed for
    review or decided for destruction. A `HoldPlaced` event."""
    hold = logic.place_hold(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(hold.public(), version=hold.version, location=f"/disposal/holds/{hold.id}")


@api.route("/disposal/holds", "GET", summary="List holds", response=schemas.HOLD_PAGE,
           query=(*PAGE, schemas.HOLD_STATUS), errors=(403,))
def list_holds(ctx: RequestContext) -> Reply:
    """The organisation's holds, active and lifted (filter by `status`)."""
    return page(*logic.list_holds(ctx.require_caller(), ctx.query["status"], ctx.query["limit"],
                                  ctx.query["cursor"]))


@api.route("/disposal/holds/{hold_id}", "GET", summary="Read a hold", response=schemas.HOLD, etag=True,
           errors=(403, 404))
def get_hold(ctx: RequestContext, hold_id: str) -> Reply:
    return _public(logic.get_hold(ctx.require_caller(), _id(hold_id, "hold")))


@api.route("/disposal/holds/{hold_id}/lift", "POST", summary="Lift a hold", response=schemas.HOLD,
           body=schemas.LIFT_HOLD, idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def lift_hold(ctx: RequestContext, hold_id: str) -> Reply:
    """Archivists and admins, with a reason; the hold stays, lifted (who, when, why). Send `If-Match`."""
    body = ctx.json()
    return _public(logic.lift_hold(ctx.require_caller(), _id(hold_id, "hold"), body, ctx.expected_version()))


@api.route("/disposal/files/{file_id}/holds", "GET", summary="The holds on a file", response=schemas.FILE_HOLDS,
           errors=(403, 404))
def file_holds(ctx: RequestContext, file_id: str) -> Reply:
    """"Why can't this be destroyed?": the file as disposal knows it from records' events, and every active hold
    whose scope covers it (by id, class code or producing unit)."""
    return Reply(logic.file_holds(ctx.require_caller(), _id(file_id, "file")))


# --------------------------------------------------------------- review lists
@api.route("/disposal/review-lists", "POST", summary="Build a review list by hand", response=schemas.REVIEW_LIST,
           status=201, body=schemas.CREATE_LIST, idempotent=True, etag=True, errors=(403, 422))
def create_list(ctx: RequestContext) -> Reply:
    """Archivists. Closed files in no list and under no hold (due or not); a 422 names each file refused. The daily
    job builds the lists of files falling due by itself, one per producing unit."""
    review_list = logic.create_list(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(review_list.public(), version=review_list.version,
                 location=f"/disposal/review-lists/{review_list.id}")


@api.route("/disposal/review-lists", "GET", summary="List review lists", response=schemas.REVIEW_LIST_PAGE,
           query=PAGE, errors=(403,))
def list_lists(ctx: RequestContext) -> Reply:
    return page(*logic.list_lists(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/disposal/review-lists/{list_id}", "GET", summary="Read a review list", response=schemas.REVIEW_LIST,
           etag=True, errors=(403, 404))
def get_list(ctx: RequestContext, list_id: str) -> Reply:
    return _public(logic.get_list(ctx.require_caller(), _id(list_id, "review list")))


@api.route("/disposal/review-lists/{list_id}/files", "GET", summary="List a review list's files",
           response=schemas.LISTED_FILE_PAGE, query=PAGE, errors=(403, 404))
def list_entries(ctx: RequestContext, list_id: str) -> Reply:
    """Each file with its stage and the steps taken so far."""
    return page(*logic.list_entries(ctx.require_caller(), _id(list_id, "review list"), ctx.query["limit"],
                                    ctx.query["cursor"]))


@api.route("/disposal/review-lists/{list_id}/files/{file_id}", "GET", summary="Read a listed file's steps",
           response=schemas.LISTED_FILE, etag=True, errors=(403, 404))
def get_entry(ctx: RequestContext, list_id: str, file_id: str) -> Reply:
    return _public(logic.get_entry(ctx.require_caller(), _id(list_id, "review list"), _id(file_id, "file")))


# ---------------------------------------------------------------------- steps
@api.route("/disposal/review-lists/{list_id}/files/{file_id}/opinion", "POST",
           summary="Record the producing unit's opinion", response=schemas.LISTED_FILE, body=schemas.GIVE_OPINION,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def give_opinion(ctx: RequestContext, list_id: str, file_id: str) -> Reply:
    """Step 1 (처리과 의견), recorded by an archivist or admin naming the unit's official: destroy, or keep with a
    reason. It never destroys anything by itself. Send `If-Match` (the listed file's version)."""
    body = ctx.json()
    return _public(logic.give_opinion(ctx.require_caller(), _id(list_id, "review list"), _id(file_id, "file"),
                                      body, ctx.expected_version()))


@api.route("/disposal/review-lists/{list_id}/files/{file_id}/review", "POST",
           summary="Record a records professional's review", response=schemas.LISTED_FILE, body=schemas.GIVE_REVIEW,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def give_review(ctx: RequestContext, list_id: str, file_id: str) -> Reply:
    """Step 2 (전문요원 심사), archivists, after the opinion: agree, or propose to re-set retention (`retention`) or
    to defer (`defer_until`). Send `If-Match`."""
    body = ctx.json()
    return _public(logic.give_review(ctx.require_caller(), _id(list_id, "review list"), _id(file_id, "file"),
                                     body, ctx.expected_version()))


@api.route("/disposal/review-lists/{list_id}/files/{file_id}/decision", "POST",
           summary="Record the appraisal committee's decision", response=schemas.LISTED_FILE,
           body=schemas.RECORD_DECISION, idempotent=True, if_match=True, etag=True, errors=(403, 404, 409, 422))
def record_decision(ctx: RequestContext, list_id: str, file_id: str) -> Reply:
    """Step 3 (기록물평가심의회), archivists, after the review: destroy, re-set retention (a new period) or defer
    (to a date), at a recorded meeting, with the votes of members present; more than half of the members
    present must vote for it (422 otherwise). A held file is never decided for destruction (409). Send
    `If-Match`."""
    body = ctx.json()
    return _public(logic.record_decision(ctx.require_caller(), _id(list_id, "review list"), _id(file_id, "file"),
                                         body, ctx.expected_version()))


# ------------------------------------------------------------------ committee
@api.route("/disposal/committee/members", "POST", summary="Name a committee member", response=schemas.MEMBER,
           status=201, body=schemas.ADD_MEMBER, idempotent=True, etag=True, errors=(403,))
def add_member(ctx: RequestContext) -> Reply:
    """Archivists. A staff user (`user_id`) or an external expert (no login)."""
    member = logic.add_member(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(member.public(), version=member.version, location=f"/disposal/committee/members/{member.id}")


@api.route("/disposal/committee/members", "GET", summary="List committee members", response=schemas.MEMBER_PAGE,
           query=PAGE, errors=(403,))
def list_members(ctx: RequestContext) -> Reply:
    return page(*logic.list_members(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/disposal/committee/members/{member_id}", "GET", summary="Read a committee member",
           response=schemas.MEMBER, etag=True, errors=(403, 404))
def get_member(ctx: RequestContext, member_id: str) -> Reply:
    return _public(logic.get_member(ctx.require_caller(), _id(member_id, "committee member")))


@api.route("/disposal/committee/members/{member_id}", "PATCH", summary="Change a committee member",
           response=schemas.MEMBER, body=schemas.UPDATE_MEMBER, if_match=True, etag=True, errors=(403, 404))
def update_member(ctx: RequestContext, member_id: str) -> Reply:
    """Archivists: name, affiliation, or `active: false` when a term ends (members are never deleted). Send
    `If-Match`."""
    changes = ctx.json()
    return _public(logic.update_member(ctx.require_caller(), _id(member_id, "committee member"), changes,
                                       ctx.expected_version()))


@api.route("/disposal/committee/meetings", "POST", summary="Record a committee meeting", response=schemas.MEETING,
           status=201, body=schemas.RECORD_MEETING, idempotent=True, etag=True, errors=(403,))
def record_meeting(ctx: RequestContext) -> Reply:
    """Archivists. Its date and the active members present (each unknown one named)."""
    meeting = logic.record_meeting(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(meeting.public(), version=meeting.version, location=f"/disposal/committee/meetings/{meeting.id}")


@api.route("/disposal/committee/meetings", "GET", summary="List committee meetings", response=schemas.MEETING_PAGE,
           query=PAGE, errors=(403,))
def list_meetings(ctx: RequestContext) -> Reply:
    return page(*logic.list_meetings(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/disposal/committee/meetings/{meeting_id}", "GET", summary="Read a committee meeting",
           response=schemas.MEETING, etag=True, errors=(403, 404))
def get_meeting(ctx: RequestContext, meeting_id: str) -> Reply:
    return _public(logic.get_meeting(ctx.require_caller(), _id(meeting_id, "meeting")))


# -------------------------------------------------------------- destruction
@api.route("/disposal/settings", "GET", summary="Read the disposal settings", response=schemas.SETTINGS, etag=True,
           errors=(403,))
def get_settings(ctx: RequestContext) -> Reply:
    """The organisation's grace period (`grace_days`, default 0): between marking the files of a run in records
    and destroying them, the run waits that long and can be cancelled."""
    return _public(logic.get_settings(ctx.require_caller()))


@api.route("/disposal/settings", "PUT", summary="Change the disposal settings", response=schemas.SETTINGS,
           body=schemas.SETTINGS_DOCUMENT, if_match=True, etag=True, errors=(403,))
def put_settings(ctx: RequestContext) -> Reply:
    """Archivists and admins. Send `If-Match` (`"0"` before the first change). A run keeps the grace period in
    force when it was asked for."""
    body = ctx.json()
    return _public(logic.put_settings(ctx.require_caller(), body, ctx.expected_version()))


@api.route("/disposal/runs", "POST", summary="Start a destruction run", response=schemas.RUN, status=202,
           body=schemas.START_RUN, idempotent=True, etag=True, errors=(403, 409))
def start_run(ctx: RequestContext) -> Reply:
    """Archivists. The files of a review list (`review_list_id`) the appraisal committee decided to destroy,
    or files named (`file_ids`), each under no hold, in no other run and not destroyed (409
    `files-not-destroyable` names each one refused); who executes it and the supervising official. Answers 202:
    a saga re-checks every file's holds, marks the files in records, waits the grace period (cancellable),
    checks the holds again, then destroys every component version, tells stacks, and makes the certificate."""
    run = logic.start_run(ctx.require_caller(), ctx.json(), ctx.header("idempotency-key"))
    return Reply(run.public(), version=run.version, location=f"/disposal/runs/{run.id}")


@api.route("/disposal/runs", "GET", summary="List destruction runs", response=schemas.RUN_PAGE, query=PAGE,
           errors=(403,))
def list_runs(ctx: RequestContext) -> Reply:
    """Newest first."""
    return page(*logic.list_runs(ctx.require_caller(), ctx.query["limit"], ctx.query["cursor"]))


@api.route("/disposal/runs/{run_id}", "GET", summary="Read a destruction run", response=schemas.RUN, etag=True,
           errors=(403, 404))
def get_run(ctx: RequestContext, run_id: str) -> Reply:
    """Its status (started → marking → grace → destroying → completed | cancelled | failed) and counts."""
    return _public(logic.get_run(ctx.require_caller(), _id(run_id, "destruction run")))


@api.route("/disposal/runs/{run_id}/files", "GET", summary="List a destruction run's files",
           response=schemas.RUN_FILE_PAGE, query=PAGE, errors=(403, 404))
def list_run_files(ctx: RequestContext, run_id: str) -> Reply:
    """Each file's outcome: `destroyed` (with each component's SHA-256), `held` (a hold landed after the
    committee), `refused` (records refused it), `released` (the run was cancelled or failed)."""
    return page(*logic.list_run_files(ctx.require_caller(), _id(run_id, "destruction run"), ctx.query["limit"],
                                      ctx.query["cursor"]))


@api.route("/disposal/runs/{run_id}/cancel", "POST", summary="Cancel a destruction run", response=schemas.RUN,
           idempotent=True, if_match=True, etag=True, errors=(403, 404, 409))
def cancel_run(ctx: RequestContext, run_id: str) -> Reply:
    """Archivists, before the irreversible step (while it marks or waits its grace period; 409
    `run-not-cancellable` after). Every file is released (unmarked in records); the run ends `cancelled`.
    Send `If-Match`."""
    return _public(logic.cancel_run(ctx.require_caller(), _id(run_id, "destruction run"), ctx.expected_version()))


@api.route("/disposal/runs/{run_id}/certificate", "GET", summary="Read a destruction certificate",
           response=schemas.CERTIFICATE, errors=(403, 404, 409))
def get_certificate(ctx: RequestContext, run_id: str) -> Reply:
    """The certificate (폐기 확인서) of a completed run, as stored write-once: the files destroyed with their
    decisions, meetings and votes, each destroyed component's SHA-256, the files not destroyed and why, who
    executed and who supervised, and the timestamps. 409 while the run has not completed."""
    return Reply(logic.certificate(ctx.require_caller(), _id(run_id, "destruction run")))


@api.route("/disposal/runs/{run_id}/certificate.pdf", "GET", summary="Download a destruction certificate as PDF",
           response=schemas.CERTIFICATE_DOWNLOAD, errors=(403, 404, 409))
def get_certificate_pdf(ctx: RequestContext, run_id: str) -> Reply:
    """A presigned `GET` of the certificate's PDF (5 minutes) and its SHA-256, answered as JSON rather than a
    redirect so the caller's token never travels to S3."""
    return Reply(logic.certificate_pdf(ctx.require_caller(), _id(run_id, "destruction run")))


@api.route("/disposal/register", "GET", summary="The destruction register (폐기 대장)",
           response=schemas.REGISTER_PAGE, formats=("csv",), errors=(403,),
           query=(*PAGE, schemas.REGISTER_FROM, schemas.REGISTER_TO, schemas.REGISTER_FORMAT))
def read_destruction_register(ctx: RequestContext) -> Reply:
    """One line per destroyed file (when, run, file, title, unit, class, retention, meeting, components,
    executor, supervisor), oldest first, by day of destruction (`from`, `to`). `format=csv` or
    `Accept: text/csv`: the whole selection as CSV."""
    since, until = ctx.query["from"], ctx.query["to"]
    if since and until and since > until:
        raise ValidationFailed("from: after to.", errors=[{"field": "from", "message": "after to"}])
    if negotiate(ctx.query["format"], ctx.header("accept")) == "csv":
        paging = [name for name in ("cursor", "limit") if ctx.raw_query.get(name)]
        if paging:
            raise ValidationFailed("format=csv exports every matching line; it takes no limit or cursor.",
                                   errors=[{"field": paging[0], "message": "not with format=csv"}])
        return file_reply(logic.register_csv(ctx.require_caller(), since, until), "csv",
                          filename="destruction-register.csv", disposition="attachment")
    return page(*logic.register(ctx.require_caller(), since, until, ctx.query["limit"], ctx.query["cursor"]),
                render=asdict)


handler = api.lambda_handler()
