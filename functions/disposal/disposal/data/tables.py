"""PynamoDB models of the disposal table (single-table design, every key scoped to an organisation).

| item                         | pk                          | sk              | gsi1pk / gsi1sk                       |
|------------------------------|-----------------------------|-----------------|---------------------------------------|
| file (read model of records) | ORG#<org>                   | FILE#<id>       | DISPOSAL_DUE / <due>#<org>#<id> (due for appraisal, not listed) |
| hold (보류)                   | ORG#<org>                   | HOLD#<id>       |                                       |
| review list (폐기 심의 대상)    | ORG#<org>                   | LIST#<id>       |                                       |
| file of a list, its 3 steps  | ORG#<org>#LIST#<list>       | FILE#<file>     |                                       |
| committee member             | ORG#<org>                   | MEMBER#<id>     |                                       |
| committee meeting            | ORG#<org>                   | MEETING#<id>    |                                       |
| settings (grace period)      | ORG#<org>                   | SETTINGS        |                                       |
| destruction run (폐기 집행)     | ORG#<org>                   | RUN#<id>        | DESTRUCTION_RUNS / <updated>#<org>#<id> while not final |
| file of a run (its page)     | ORG#<org>#RUN#<run>         | FILE#<page 5 digits>#<file> |                               |
| register line (폐기 대장)      | ORG#<org>#REGISTER          | <destroyed at>#<run>#<file> |                               |
| consumed event (receipt)     | RECEIPT#<event id>          | EVENT           |                                       |
| outbox event                 | OUTBOX#<event id>           | EVENT           |                                       |
| idempotency record           | IDEMPOTENCY#<function>      | <key hash>      |                                       |

The due index is sparse: a file is in it only while it can come up for appraisal (domain.rules.due_on),
so the daily job reads a key range of what is due, never scans; a file leaves it when a list takes it.
A list's partition holds its files with their steps, so "the list and every decision" is one query.
A run's files sit in its own partition ordered by page, so a saga step reads one page (at most 25 files) with
one query; the register is one partition per organisation ordered by the instant of destruction (a date range
is a key range). Runs that have not ended are in a sparse index the reconcile job reads.
Holds are few per organisation: "which holds apply to this file" reads the organisation's active holds.
The table name is read at each use (`TABLE_NAME`, default `disposal`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED, Json
from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain import rules
from ..domain.model import (FINAL_RUN_STATUSES, FileReview, FileView, Hold, Meeting, Member, RegisterEntry,
                            ReviewList, Run, RunFile, Settings)

TABLE = Table("disposal")
DISPOSAL_DUE = "DISPOSAL_DUE"
DESTRUCTION_RUNS = "DESTRUCTION_RUNS"

org_key = Key("ORG#{org_id}")
file_sort_key = Key("FILE#{file_id}")
hold_sort_key = Key("HOLD#{hold_id}")
list_sort_key = Key("LIST#{list_id}")
list_key = Key("ORG#{org_id}#LIST#{list_id}")
member_sort_key = Key("MEMBER#{member_id}")
meeting_sort_key = Key("MEETING#{meeting_id}")
receipt_key = Key("RECEIPT#{event_id}")
SETTINGS = "SETTINGS"
run_sort_key = Key("RUN#{run_id}")
run_key = Key("ORG#{org_id}#RUN#{run_id}")
run_file_key = Key("FILE#{page:05d}#{file_id}")
page_prefix = Key("FILE#{page:05d}#")
register_key = Key("ORG#{org_id}#REGISTER")
register_sort_key = Key("{destroyed_at}#{run_id}#{file_id}")


class FileViewItem(TABLE.Item, entity=FileView):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, f: FileView) -> dict[str, Any]:
        keys: dict[str, Any] = {"pk": org_key(f.org_id), "sk": file_sort_key(f.id)}
        due = rules.due_on(f)
        if due:
            keys |= {"gsi1pk": DISPOSAL_DUE, "gsi1sk": f"{due}#{f.org_id}#{f.id}"}
        return keys


class HoldItem(TABLE.Item, entity=Hold, fields={"mandate": Json(), "scope": Json()}):
    @classmethod
    def derived(cls, h: Hold) -> dict[str, Any]:
        return {"pk": org_key(h.org_id), "sk": hold_sort_key(h.id)}


class ReviewListItem(TABLE.Item, entity=ReviewList):
    @classmethod
    def derived(cls, r: ReviewList) -> dict[str, Any]:
        return {"pk": org_key(r.org_id), "sk": list_sort_key(r.id)}


class FileReviewItem(TABLE.Item, entity=FileReview,
                     fields={"org_id": OMITTED, "list_id": OMITTED, "opinion": Json(), "review": Json(),
                             "decision": Json()}):
    @classmethod
    def derived(cls, e: FileReview) -> dict[str, Any]:
        return {"pk": list_key(e.org_id, e.list_id), "sk": file_sort_key(e.file_id)}


class MemberItem(TABLE.Item, entity=Member):
    @classmethod
    def derived(cls, m: Member) -> dict[str, Any]:
        return {"pk": org_key(m.org_id), "sk": member_sort_key(m.id)}


class MeetingItem(TABLE.Item, entity=Meeting):
    @classmethod
    def derived(cls, m: Meeting) -> dict[str, Any]:
        return {"pk": org_key(m.org_id), "sk": meeting_sort_key(m.id)}


class SettingsItem(TABLE.Item, entity=Settings):
    @classmethod
    def derived(cls, s: Settings) -> dict[str, Any]:
        return {"pk": org_key(s.org_id), "sk": SETTINGS}


class RunItem(TABLE.Item, entity=Run, fields={"supervisor": Json()}):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, r: Run) -> dict[str, Any]:
        keys: dict[str, Any] = {"pk": org_key(r.org_id), "sk": run_sort_key(r.id)}
        if r.status not in FINAL_RUN_STATUSES:
            keys |= {"gsi1pk": DESTRUCTION_RUNS, "gsi1sk": f"{r.updated_at}#{r.org_id}#{r.id}"}
        return keys


class RunFileItem(TABLE.Item, entity=RunFile, fields={
        "org_id": OMITTED, "run_id": OMITTED, "votes": Json(when=lambda f: bool(f.votes)),
        "components": Json(when=lambda f: bool(f.components)), "boxes": Json(when=lambda f: bool(f.boxes))}):
    @classmethod
    def derived(cls, f: RunFile) -> dict[str, Any]:
        return {"pk": run_key(f.org_id, f.run_id), "sk": run_file_key(page=f.page, file_id=f.file_id)}


class RegisterItem(TABLE.Item, entity=RegisterEntry, fields={"org_id": OMITTED}):
    @classmethod
    def derived(cls, e: RegisterEntry) -> dict[str, Any]:
        return {"pk": register_key(e.org_id),
                "sk": register_sort_key(destroyed_at=e.destroyed_at, run_id=e.run_id, file_id=e.file_id)}


class ReceiptItem(TABLE.Item):
    type = UnicodeAttribute()
    expiration = NumberAttribute()


OutboxItem = outbox_model(TABLE.Item)
