"""Records' routes against moto: filing under the current class, closing with due dates, retention
overrides and re-applied rules, items, access and redaction, organisation boundaries, bad input,
exports. GIVEN / WHEN / THEN in each test's own words."""
from __future__ import annotations

import csv
import io

import botocore.client
import pytest

from tests.integration.records_world import (ADMIN, AUDITOR, OTHER_ARCHIVIST, REQUESTER, STACK_MANAGER, rule,
                                             scheme_events)


def if_match(entity: dict) -> dict:
    return {"If-Match": f'"{entity["version"]}"'}


# ---------------------------------------------------------------------- filing
def test_a_file_is_filed_under_the_current_class_and_closes_with_its_due_date(records):
    # GIVEN a published scheme (version 1) whose FIN-01 keeps files 5 years
    records.scheme(1)
    # WHEN an archivist files a record file under FIN-01 and closes it on 2026-03-10
    file = records.file("FIN-01")
    assert (file["class_code"], file["scheme_version"], file["status"]) == ("FIN-01", 1, "open")
    status, closed, _ = records.close(file, closed_on="2026-03-10")
    # THEN retention starts on 1 January 2027 and the file is due on 2032-01-01
    assert status == 200, closed
    assert (closed["status"], closed["production_year"], closed["retention_starts_on"], closed["disposal_due"]) == \
        ("closed", 2026, "2027-01-01", "2032-01-01")
    assert sorted(e["type"] for e in records.events()) == ["FileClosed", "FileCreated", "FileStatusChanged"]
    assert records.events("FileStatusChanged")[0]["payload"] == {"file_id": file["id"], "status": "closed",
                                                                 "previous": "open"}
    created, = records.events("FileCreated")
    assert created["payload"] == {"file_id": file["id"], "title": "Budget 2026", "producing_unit": "Finance Division",
                                  "class_code": "FIN-01", "scheme_version": 1, "status": "open", "electronic": True,
                                  "record_type": "general_document"}
    assert created["subjects"] == [{"kind": "record_file", "id": file["id"], "org_id": "org-alpha"}]
    assert records.events("FileClosed")[0]["payload"] == {
        "file_id": file["id"], "closed_on": "2026-03-10", "production_year": 2026, "retention": "5y",
        "disposal_due": "2032-01-01", "action": "review"}
    # AND another organisation's archivist finds nothing there
    status, body, _ = records.call("GET", "/records/files/{file_id}", path={"file_id": file["id"]},
                                   who=OTHER_ARCHIVIST)
    assert status == 404, body


def test_permanent_files_have_no_due_date_and_take_their_class_default_access(records):
    records.scheme(1)
    file = records.file("FIN-02")
    assert file["access"]["classification"] == "closed" and file["access"]["grounds"] == [2]
    assert file["access"]["review_on"] is not None
    status, closed, _ = records.close(file, closed_on="2026-03-10")
    assert (closed["retention"], closed["disposal_due"], closed["action"]) == ("permanent", None, "transfer")


def test_a_version_is_usable_only_when_complete_whatever_the_order_and_duplicates(records):
    # GIVEN version 1 is current, and version 2 (FIN-01 kept 10 years) arrives marker first, one task twice
    records.scheme(1)
    v2 = scheme_events(2, {"FIN-01": rule("10y"), "FIN-03": rule("1y")})
    tasks, marker = v2[:-1], v2[-1]
    assert records.feed([marker, tasks[0], tasks[0]]) == {"batchItemFailures": []}
    # THEN version 1 stays current while version 2 misses a unit task
    assert records.file("FIN-01")["scheme_version"] == 1
    status, body, _ = records.call("POST", "/records/files", body={
        "class_code": "FIN-03", "title": "t", "producing_unit": "u", "record_type": "card", "electronic": False})
    assert status == 422 and body["errors"] == [{"field": "class_code", "message": "no unit task FIN-03 in scheme version 1"}]
    # WHEN the last unit task arrives (and everything again, as a redelivery would)
    assert records.feed([tasks[1]] + v2) == {"batchItemFailures": []}
    # THEN version 2 is current
    assert records.file("FIN-03", key="f-3")["scheme_version"] == 2
    classes = records.ok("GET", "/records/classes")
    assert [(c["code"], c["scheme_version"]) for c in classes["items"]] == [("FIN-01", 2), ("FIN-03", 2)]
    # AND an older version completing late never takes over
    assert records.feed(scheme_events(1, {"FIN-01": rule("5y"), "FIN-02": rule("permanent")})) == \
        {"batchItemFailures": []}
    assert records.file("FIN-01", key="f-1")["scheme_version"] == 2


def test_unknown_class_is_a_422_naming_every_bad_field_and_writes_nothing(records):
    records.scheme(1)
    before = records.snapshot()
    status, body, headers = records.call("POST", "/records/files", body={
        "class_code": "NOPE-9", "title": "t", "producing_unit": "u", "record_type": "card", "electronic": False,
        "start_date": "2026-05-01", "end_date": "2026-04-01",
        "access": {"classification": "closed", "grounds": []}})
    assert status == 422 and headers["content-type"] == "application/problem+json", body
    assert body["type"].endswith("/unknown-class")
    assert {e["field"] for e in body["errors"]} == {"class_code", "end_date", "access.grounds"}
    assert records.snapshot() == before


def test_schema_errors_are_all_listed(records):
    records.scheme(1)
    status, body, _ = records.call("POST", "/records/files", body={
        "class_code": "FIN-01", "title": "", "record_type": "scroll", "electronic": "yes"})
    assert status == 400, body
    assert {"title", "record_type", "electronic", "producing_unit"} <= {e["field"] for e in body["errors"]}
    assert records.events() == []


def test_filing_before_any_scheme_is_published_is_refused(records):
    status, body, _ = records.call("POST", "/records/files", body={
        "class_code": "FIN-01", "title": "t", "producing_unit": "u", "record_type": "card", "electronic": False})
    assert status == 422 and body["errors"][0]["field"] == "class_code", body


def test_roles_are_checked(records):
    records.scheme(1)
    for who in (REQUESTER, AUDITOR, STACK_MANAGER):
        status, body, _ = records.call("POST", "/records/files", who=who, body={
            "class_code": "FIN-01", "title": "t", "producing_unit": "u", "record_type": "card", "electronic": False})
        assert status == 403, body
    assert records.file("FIN-01", who=ADMIN)["created_by"] == "u-admin"


def test_an_idempotency_key_files_once(records):
    records.scheme(1)
    first = records.file("FIN-01", key="file-once")
    status, again, headers = records.call("POST", "/records/files", headers={"Idempotency-Key": "file-once"}, body={
        "class_code": "FIN-01", "title": "Budget 2026", "producing_unit": "Finance Division",
        "record_type": "general_document", "electronic": True})
    assert (status, again["id"], headers.get("idempotent-replayed")) == (201, first["id"], "true")
    assert len(records.events("FileCreated")) == 1


def test_references_are_unique_within_the_organisation(records):
    records.scheme(1)
    records.scheme(1, org_id="org-beta")
    records.file("FIN-01", reference="FIN-2026-001")
    status, body, _ = records.call("POST", "/records/files", body={
        "class_code": "FIN-01", "reference": "FIN-2026-001", "title": "t", "producing_unit": "u",
        "record_type": "card", "electronic": False})
    assert status == 400 and body["errors"] == [{"field": "reference", "message": "already names a file"}]
    assert records.file("FIN-01", who=OTHER_ARCHIVIST, reference="FIN-2026-001")["reference"] == "FIN-2026-001"


# --------------------------------------------------------------------- closing
class CallCounter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, client, operation, params):
        tables = {params.get("TableName")} if "TableName" in params else \
            {t for op in params.get("TransactItems", []) for t in (v.get("TableName") for v in op.values())}
        self.calls += [(client.meta.service_model.service_name, operation, table) for table in tables]


def test_closing_makes_no_call_to_another_capability(records, monkeypatch):
    # GIVEN a file under FIN-01
    records.scheme(1)
    file = records.file("FIN-01")
    counter, original = CallCounter(), botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        counter(client, operation, params)
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    # WHEN it closes
    status, closed, _ = records.close(file, closed_on="2026-03-10")
    assert status == 200, closed
    # THEN every call went to records' own table (the rule is on the file and in records' read model)
    assert counter.calls and {(service, table) for service, _, table in counter.calls} <= {("dynamodb", "records")}
    assert {op for _, op, _ in counter.calls} <= {"GetItem", "TransactWriteItems", "PutItem", "UpdateItem"}


def test_an_open_file_closes_under_the_rule_in_force_and_a_closed_one_keeps_its_own(records):
    records.scheme(1)
    early, late = records.file("FIN-01", key="early"), records.file("FIN-01", key="late")
    _, early, _ = records.close(early, closed_on="2026-03-10")
    # a rule change: FIN-01 is now kept 10 years
    records.scheme(2, {"FIN-01": rule("10y"), "FIN-02": rule("permanent")})
    _, late, _ = records.close(late, closed_on="2026-03-10")
    assert (late["retention"], late["rule_version"], late["scheme_version"], late["disposal_due"]) == \
        ("10y", 2, 1, "2037-01-01")
    assert (records.get(early["id"])["retention"], records.get(early["id"])["disposal_due"]) == ("5y", "2032-01-01")
    # WHEN an archivist re-applies the newer rule to the early file, with a reason
    status, body, _ = records.call("POST", "/records/files/{file_id}/rule", path={"file_id": early["id"]},
                                   headers=if_match(early), body={})
    assert status == 400 and body["errors"][0]["field"] == "reason"
    status, reapplied, _ = records.call("POST", "/records/files/{file_id}/rule", path={"file_id": early["id"]},
                                        headers=if_match(early), body={"reason": "Appraisal 2026-07 decision"})
    assert status == 200, reapplied
    assert (reapplied["retention"], reapplied["rule_version"], reapplied["disposal_due"]) == ("10y", 2, "2037-01-01")
    event, = records.events("RetentionRuleReapplied")
    assert event["payload"]["reason"] == "Appraisal 2026-07 decision"
    assert event["payload"]["previous"] == {"rule_version": 1, "retention": "5y", "disposal_due": "2032-01-01"}
    # AND applying it again names the field
    status, body, _ = records.call("POST", "/records/files/{file_id}/rule", path={"file_id": early["id"]},
                                   headers=if_match(reapplied), body={"reason": "again"})
    assert status == 422 and body["errors"][0]["field"] == "scheme_version", body


def test_an_archivist_overrides_retention_with_a_reason(records):
    records.scheme(1)
    file = records.file("FIN-01")
    _, file, _ = records.close(file, closed_on="2026-03-10")
    path = {"file_id": file["id"]}
    body = {"retention": "30y", "reason": "Historic value"}
    status, refused, _ = records.call("POST", "/records/files/{file_id}/retention", path=path, body=body,
                                      headers=if_match(file), who=ADMIN)
    assert status == 403, refused
    status, refused, _ = records.call("POST", "/records/files/{file_id}/retention", path=path, body=body)
    assert status == 428, refused
    status, refused, _ = records.call("POST", "/records/files/{file_id}/retention", path=path, body=body,
                                      headers={"If-Match": '"99"'})
    assert status == 412, refused
    status, overridden, _ = records.call("POST", "/records/files/{file_id}/retention", path=path, body=body,
                                         headers=if_match(file))
    assert status == 200, overridden
    assert (overridden["retention"], overridden["action"], overridden["disposal_due"],
            overridden["retention_overridden"]) == ("30y", "transfer", "2057-01-01", True)
    event, = records.events("RetentionOverridden")
    assert event["payload"]["reason"] == "Historic value" and event["payload"]["previous"]["retention"] == "5y"


def test_closing_is_refused_twice_and_in_the_future(records):
    records.scheme(1)
    file = records.file("FIN-01")
    status, body, _ = records.close(file, closed_on="2999-01-01")
    assert status == 400 and body["errors"] == [{"field": "closed_on", "message": "in the future"}]
    _, closed, _ = records.close(file, closed_on="2026-03-10")
    status, body, _ = records.close(closed)
    assert status == 409 and body["type"].endswith("/file-state-conflict"), body


# ----------------------------------------------------------------------- items
def item_body(number: str, **extra) -> dict:
    return {"registration_number": number, "title": f"Memo {number}", "author": "Lee", "date": "2026-02-01",
            "pages": 3, "attachments": ["annex.pdf"], **extra}


def test_items_are_registered_in_open_files_with_unique_numbers(records):
    records.scheme(1)
    file = records.file("FIN-01")
    path = {"file_id": file["id"]}
    item = records.ok("POST", "/records/files/{file_id}/items", path=path, body=item_body("2026-0001"), expect=201)
    assert (item["file_id"], item["access"]["classification"]) == (file["id"], "open")
    before = records.snapshot()
    status, body, _ = records.call("POST", "/records/files/{file_id}/items", path=path, body=item_body("2026-0001"))
    assert status == 400 and body["errors"] == [{"field": "registration_number", "message": "already registered"}]
    assert records.snapshot() == before
    # another organisation cannot see or add to it
    for method, body in (("GET", None), ("POST", item_body("X-1"))):
        status, answer, _ = records.call(method, "/records/files/{file_id}/items", path=path, body=body,
                                         who=OTHER_ARCHIVIST)
        assert status == 404, answer
    status, answer, _ = records.call("GET", "/records/files/{file_id}/items/{item_id}",
                                     path={**path, "item_id": item["id"]}, who=OTHER_ARCHIVIST)
    assert status == 404, answer
    # a closed file takes no more items
    _, file, _ = records.close(file, closed_on="2026-03-10")
    status, body, _ = records.call("POST", "/records/files/{file_id}/items", path=path, body=item_body("2026-0002"))
    assert status == 409, body
    event, = records.events("ItemAdded")
    assert {s["kind"] for s in event["subjects"]} == {"record_file", "record_item"}


def test_items_are_described_with_if_match(records):
    records.scheme(1)
    file = records.file("FIN-01")
    item = records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]},
                      body=item_body("2026-0001"), expect=201)
    path = {"file_id": file["id"], "item_id": item["id"]}
    status, body, _ = records.call("PATCH", "/records/files/{file_id}/items/{item_id}", path=path,
                                   body={"pages": 4, "date": "2026-13-01"}, headers=if_match(item))
    assert status == 400 and body["errors"][0]["field"] == "date", body
    status, updated, headers = records.call("PATCH", "/records/files/{file_id}/items/{item_id}", path=path,
                                            body={"pages": 4}, headers=if_match(item))
    assert (status, updated["pages"], headers["etag"]) == (200, 4, '"2"')


def test_lists_are_paginated(records):
    records.scheme(1)
    ids = {records.file("FIN-01", key=f"k{n}")["id"] for n in range(5)}
    seen, cursor = [], None
    while True:
        page = records.ok("GET", "/records/files", query={"limit": "2"} | ({"cursor": cursor} if cursor else {}))
        seen += [f["id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    status, body, _ = records.call("GET", "/records/files", query={"cursor": "bm9wZQ"})
    assert status == 400, body


# ---------------------------------------------------------------------- access
def test_requesters_see_only_what_is_open(records):
    records.scheme(1)
    file = records.file("FIN-01", access={"classification": "partly_open", "grounds": [5],
                                          "closed_fields": ["title", "keywords"]}, keywords=["budget"])
    path = {"file_id": file["id"]}
    open_item = records.ok("POST", "/records/files/{file_id}/items", path=path,
                           body=item_body("A-1", access={"classification": "open"}), expect=201)
    closed_item = records.ok("POST", "/records/files/{file_id}/items", path=path,
                             body=item_body("A-2", access={"classification": "closed", "grounds": [6]}), expect=201)
    seen = records.get(file["id"], who=REQUESTER)
    assert (seen["title"], seen["keywords"], seen["redacted"]) == (None, [], ["keywords", "title"])
    assert records.get(file["id"], who=AUDITOR)["title"] == "Budget 2026"
    items = {i["registration_number"]: i for i in records.ok("GET", "/records/files/{file_id}/items", path=path,
                                                              who=REQUESTER)["items"]}
    assert items["A-1"]["title"] == "Memo A-1"
    assert "title" not in items["A-2"] and "author" in items["A-2"]["redacted"]
    listed = records.ok("GET", "/records/files", who=REQUESTER)["items"]
    assert listed[0]["title"] is None
    # the CSV export redacts as the screen does
    text = records.call("GET", "/records/files/{file_id}/items", path=path, who=REQUESTER,
                        query={"format": "csv"})[1]
    rows = {r["registration_number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["A-1"]["title"] == "Memo A-1" and rows["A-2"]["title"] == ""
    assert {open_item["id"], closed_item["id"]} == {r["id"] for r in rows.values()}


def test_an_archivist_reclassifies_with_a_reason(records):
    records.scheme(1)
    file = records.file("FIN-01")
    path = {"file_id": file["id"]}
    status, body, _ = records.call("POST", "/records/files/{file_id}/access", path=path, headers=if_match(file),
                                   body={"classification": "closed", "grounds": [], "closed_fields": ["title"],
                                         "reason": "Personal data"})
    assert status == 400 and {e["field"] for e in body["errors"]} == {"grounds", "closed_fields"}, body
    status, changed, _ = records.call("POST", "/records/files/{file_id}/access", path=path, headers=if_match(file),
                                      body={"classification": "closed", "grounds": [6], "reason": "Personal data"},
                                      who=REQUESTER)
    assert status == 403
    status, changed, _ = records.call("POST", "/records/files/{file_id}/access", path=path, headers=if_match(file),
                                      body={"classification": "closed", "grounds": [6], "reason": "Personal data"})
    assert status == 200, changed
    assert changed["access"]["classification"] == "closed" and changed["access"]["review_on"]
    event, = records.events("AccessChanged")
    assert event["payload"]["reason"] == "Personal data" and event["payload"]["previous"]["classification"] == "open"


def test_a_file_description_and_the_files_csv(records):
    records.scheme(1)
    file = records.file("FIN-01", reference="FIN-7")
    records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]}, body=item_body("D-1"),
               expect=201)
    described = records.ok("GET", "/records/files/{file_id}/description", path={"file_id": file["id"]})
    assert described["file"]["reference"] == "FIN-7" and [i["registration_number"] for i in described["items"]] == ["D-1"]
    status, text, headers = records.call("GET", "/records/files", query={"format": "csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert [r["reference"] for r in csv.DictReader(io.StringIO(text))] == ["FIN-7"]
    status, body, _ = records.call("GET", "/records/files", query={"format": "csv", "limit": "5"})
    assert status == 400 and body["errors"] == [{"field": "limit", "message": "not with format=csv"}]


@pytest.mark.parametrize("route", ["/records/files/{file_id}", "/records/files/{file_id}/description",
                                   "/records/files/{file_id}/items"])
def test_ids_that_cannot_be_ours_are_404(records, route):
    status, body, _ = records.call("GET", route, path={"file_id": "../../etc"})
    assert status == 404, body


ROUTES = [
    ("GET", "/records/files/{file_id}", None), ("PATCH", "/records/files/{file_id}", {"title": "x"}),
    ("POST", "/records/files/{file_id}/close", {}),
    ("POST", "/records/files/{file_id}/retention", {"retention": "10y", "reason": "why not"}),
    ("POST", "/records/files/{file_id}/rule", {"reason": "why not"}),
    ("POST", "/records/files/{file_id}/access", {"classification": "open", "reason": "why not"}),
    ("GET", "/records/files/{file_id}/description", None), ("GET", "/records/files/{file_id}/items", None),
    ("POST", "/records/files/{file_id}/items", {"registration_number": "X-1", "title": "x"}),
    ("GET", "/records/files/{file_id}/items/{item_id}", None),
    ("PATCH", "/records/files/{file_id}/items/{item_id}", {"title": "x"}),
    ("POST", "/records/files/{file_id}/items/{item_id}/access", {"classification": "open", "reason": "why not"}),
]


@pytest.mark.parametrize("method, route, body", ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_another_organisations_file_and_items_answer_404_and_change_nothing(records, method, route, body):
    records.scheme(1)
    records.scheme(1, org_id="org-beta")
    file = records.file("FIN-01")
    item = records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]},
                      body=item_body("B-1"), expect=201)
    before = records.snapshot()
    headers = {"If-Match": '"1"', "Idempotency-Key": "other-org"} if method != "GET" else None
    status, answer, _ = records.call(method, route, path={"file_id": file["id"], "item_id": item["id"]}, body=body,
                                     headers=headers, who=OTHER_ARCHIVIST)
    assert status == 404, answer
    assert [k for k in records.snapshot() if k not in before and not k[0].startswith("IDEMPOTENCY#")] == []
