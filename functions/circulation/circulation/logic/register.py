"""The register (반출입 대장): every check-out and return, read by period, box or person, or as CSV."""
from __future__ import annotations

from shared.auth import Caller
from shared.problems import ValidationFailed

from ..data import loans as store
from ..domain import register as register_csv, rules
from ..domain.model import RegisterEntry, Request

MAX_CSV_ROWS = 10_000


def read_register(caller: Caller, *, since: str | None, until: str | None, box_id: str | None,
                  person: str | None, limit: int, cursor: str | None) -> tuple[list[RegisterEntry], str | None]:
    org = rules.require_reader(caller)
    if since and until and until < since:
        raise ValidationFailed("until: before from.", errors=[{"field": "until", "message": "before from"}])
    entries, next_cursor = store.register(org, box_id=box_id, person=person, since=since, until=until, limit=limit,
                                          cursor=cursor)
    if box_id and person:  # one partition per filter; the second filters within it
        entries = [e for e in entries if person in e.people]
    return entries, next_cursor


def export_register(caller: Caller, *, since: str | None, until: str | None, box_id: str | None,
                    person: str | None) -> str:
    """Every matching entry as CSV (at most MAX_CSV_ROWS: narrow the period for more)."""
    rows: list[RegisterEntry] = []
    cursor = None
    while True:
        page, cursor = read_register(caller, since=since, until=until, box_id=box_id, person=person, limit=100,
                                     cursor=cursor)
        rows.extend(page)
        if len(rows) > MAX_CSV_ROWS:
            raise ValidationFailed(f"More than {MAX_CSV_ROWS} entries match; narrow the period (from, until).",
                                   errors=[{"field": "from", "message": "period too wide for one export"}])
        if cursor is None:
            return register_csv.to_csv(rows)


def register_entry(request: Request, action: str, at: str, handled_by: str, reason: str | None = None
                   ) -> RegisterEntry:
    facts = store.get_box_facts(request.org_id, request.box_id)
    people = {request.requester.user_id, handled_by}
    return RegisterEntry(org_id=request.org_id, at=at, action=action, request_id=request.id,
                         loan_id=request.loan_id or "", box_id=request.box_id, requester=request.requester.user_id,
                         handled_by=handled_by, purpose=request.purpose, destination=dict(request.destination),
                         period_from=request.period_from, period_until=request.period_until,
                         box_barcode=facts.barcode if facts else None, box_title=facts.title if facts else None,
                         condition=request.condition if action.startswith("return") else None,
                         condition_note=request.condition_note if action.startswith("return") else None,
                         reason=reason, people=tuple(sorted(p for p in people if p and p != "system")))
