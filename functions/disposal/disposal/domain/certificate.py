"""The destruction certificate (폐기 확인서): what a completed run destroyed, and on whose authority.

`build` makes the certificate's JSON document from the run, its files and the committee's meetings and
members; `render_pdf` sets the same document as a PDF with fpdf2, in a bundled Korean font (a renamed
subset of NanumGothic under the SIL Open Font License: assets/OFL.txt), because a Lambda has no system
fonts. Both are written once to the certificates bucket, which keeps them under Object Lock.

It lists exactly the files destroyed (each with its decision, meeting and votes, and every destroyed
component's SHA-256 as records recorded it before deleting), the files the run did not destroy and why,
who executed the destruction and the official who supervised it, and the run's timestamps.
"""
from __future__ import annotations

import hashlib
import json
import pathlib
from datetime import datetime
from typing import Any, Iterable

from .model import Meeting, Member, Run, RunFile

FONT = pathlib.Path(__file__).resolve().parents[1] / "assets" / "RecordsHangulGothic-Regular.ttf"
TITLE = "폐기 확인서 (Certificate of Destruction)"


def build(run: Run, files: Iterable[RunFile], meetings: dict[str, Meeting], members: dict[str, Member],
          certified_at: str) -> dict[str, Any]:
    destroyed, excluded = [], []
    for f in files:
        if f.state == "destroyed":
            destroyed.append({
                "file_id": f.file_id, "title": f.title, "producing_unit": f.producing_unit,
                "class_code": f.class_code, "retention": f.retention, "review_list_id": f.list_id,
                "meeting_id": f.meeting_id, "decided_at": f.decided_at, "votes": [dict(v) for v in f.votes],
                "destroyed_at": f.destroyed_at,
                "components": [{k: c.get(k) for k in ("component_id", "item_id", "name", "sha256", "size",
                                                       "versions_deleted")} for c in f.components],
                "boxes": [dict(b) for b in f.boxes]})
        else:
            excluded.append({"file_id": f.file_id, "outcome": f.outcome, "reason": f.reason})
    used = sorted({d["meeting_id"] for d in destroyed if d["meeting_id"]})
    return {
        "document": "destruction-certificate", "title": TITLE, "org_id": run.org_id, "run_id": run.id,
        "review_list_id": run.review_list_id,
        "executed_by": run.executed_by,
        "supervisor": {"name": run.supervisor.name, "title": run.supervisor.title},
        "started_by": run.started_by, "started_at": run.started_at, "grace_days": run.grace_days,
        "grace_until": run.grace_until, "certified_at": certified_at,
        "meetings": [_meeting(meetings.get(m), m, members) for m in used],
        "files": destroyed, "not_destroyed": excluded,
        "totals": {"files_destroyed": len(destroyed), "components_destroyed": sum(len(d["components"])
                                                                                 for d in destroyed),
                   "files_not_destroyed": len(excluded)},
    }


def _meeting(meeting: Meeting | None, meeting_id: str, members: dict[str, Member]) -> dict[str, Any]:
    if meeting is None:
        return {"meeting_id": meeting_id, "held_on": None, "present": []}
    return {"meeting_id": meeting.id, "held_on": meeting.held_on, "title": meeting.title,
            "present": [{"member_id": m, "name": members[m].name if m in members else None,
                         "affiliation": members[m].affiliation if m in members else None}
                        for m in meeting.present]}


def to_json(certificate: dict[str, Any]) -> bytes:
    return json.dumps(certificate, ensure_ascii=False, indent=1, sort_keys=True).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_pdf(certificate: dict[str, Any], json_sha256: str) -> bytes:
    """The certificate as a PDF (A4), every destroyed component's hash included."""
    from fpdf import FPDF  # imported when a certificate is made, not on every cold start

    pdf = FPDF(format="A4")
    pdf.set_creator("records disposal")
    pdf.set_title(TITLE)
    # the certificate's own instant, not the wall clock: the same certificate always sets the same bytes
    pdf.set_creation_date(datetime.fromisoformat(certificate["certified_at"].replace("Z", "+00:00")))
    pdf.add_font("RecordsHangul", fname=str(FONT))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 9, gap: float = 0) -> None:
        pdf.set_font("RecordsHangul", size=size)
        if pdf.get_string_width(text) <= width:  # one line: a plain cell (multi_cell's line breaking is slow)
            pdf.cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    c = certificate
    supervisor = c["supervisor"]["name"] + (f" ({c['supervisor']['title']})" if c["supervisor"].get("title") else "")
    line(TITLE, 16, 3)
    line(f"기관 (organisation): {c['org_id']}    폐기 집행 (run): {c['run_id']}")
    line(f"집행자 (executed by): {c['executed_by']}    입회 공무원 (supervised by): {supervisor}")
    line(f"시작 (started): {c['started_at']} by {c['started_by']}    유예 (grace): {c['grace_days']} days, "
         f"until {c['grace_until'] or '-'}")
    line(f"확인 (certified): {c['certified_at']}", gap=2)
    totals = c["totals"]
    line(f"폐기 기록물철 (files destroyed): {totals['files_destroyed']}    구성요소 (components): "
         f"{totals['components_destroyed']}    제외 (not destroyed): {totals['files_not_destroyed']}", gap=3)
    line("기록물평가심의회 (appraisal committee meetings)", 11, 1)
    for m in c["meetings"]:
        present = ", ".join(p["name"] or p["member_id"] for p in m["present"])
        line(f"· {m['meeting_id']} — {m['held_on']}: {present}")
    pdf.ln(2)
    line("폐기 기록물 (files destroyed)", 11, 1)
    for f in c["files"]:
        votes = ", ".join(f"{v.get('member_id')}: {v.get('vote')}" for v in f["votes"])
        line(f"# {f['file_id']}  {f['title'] or ''}", 10)
        line(f"   {f['producing_unit'] or '-'} · {f['class_code'] or '-'} · {f['retention'] or '-'} · "
             f"meeting {f['meeting_id'] or '-'} ({votes}) · destroyed {f['destroyed_at']}", 8)
        for comp in f["components"]:
            line(f"   - {comp['component_id']} {comp.get('name') or ''} ({comp.get('size')} B) "
                 f"sha256 {comp['sha256']}", 7)
        for box in f["boxes"]:
            line(f"   - box {box.get('barcode') or box.get('box_id')}"
                 f"{' (destroyed)' if box.get('box_destroyed') else ''}", 7)
    if c["not_destroyed"]:
        pdf.ln(2)
        line("제외 (not destroyed)", 11, 1)
        for f in c["not_destroyed"]:
            line(f"· {f['file_id']}: {f['outcome']} — {f['reason'] or ''}", 8)
    pdf.ln(3)
    line(f"JSON sha256: {json_sha256}", 7)
    return bytes(pdf.output())
