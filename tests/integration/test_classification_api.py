"""Classification's routes against moto: drafting, editing and publishing a scheme, the events
records files under, the immutability of published versions, CSV import (all or nothing, with a
per-row report) and export, roles, and other organisations' ids."""
from __future__ import annotations

import csv
import io

import pytest

from tests.integration.classification_world import (ADMIN, ARCHIVIST, AUDITOR, MANAGER, OTHER_ARCHIVIST, REQUESTER,
                                                    classification, sheet)  # noqa: F401 (fixture)

V = "/classification/versions/{version}"


def _published(classification) -> int:
    draft = classification.draft()
    classification.small_tree(draft["scheme_version"])
    status, body, _ = classification.publish(draft["scheme_version"])
    assert status == 200, body
    return draft["scheme_version"]


def test_a_scheme_is_drafted_edited_and_published_with_the_events_records_files_under(classification):
    # GIVEN an organisation's first draft, with a function, a sub-function and two unit tasks
    draft = classification.draft()
    assert draft["scheme_version"] == 1 and draft["status"] == "draft" and draft["based_on"] is None
    classification.small_tree(1)
    task = classification.get_node(1, "A01-001")
    assert task["rule"] == {"retention": "5y", "trigger": "year_after_closing", "action": "review",
                            "access": {"classification": "closed", "grounds": [5, 6]}, "notes": "개인정보 포함"}
    assert classification.get_node(1, "A01-002")["rule"]["action"] == "transfer"  # permanent is transferred
    assert [n["code"] for n in classification.nodes(1)] == ["A", "A01", "A01-001", "A01-002"]
    assert classification.get_node(1, "A01")["children"] == 2
    assert classification.version(1)["unit_task_count"] == 2

    # WHEN it is published
    status, published, headers = classification.publish(1)

    # THEN it is current, and one UnitTaskPublished per unit task, then SchemeVersionPublished, are in the outbox
    assert status == 200 and published["status"] == "published" and published["unit_task_count"] == 2
    assert headers["etag"] == f'"{published["version"]}"'
    tasks = sorted(classification.events("UnitTaskPublished"), key=lambda e: e["payload"]["code"])
    assert [e["source"] for e in tasks] == ["records.classification"] * 2
    assert tasks[0]["payload"] == {
        "scheme_version": 1, "code": "A01-001", "title": "기록물 등록",
        "path": [{"level": "function", "code": "A", "title": "일반행정"},
                 {"level": "sub_function", "code": "A01", "title": "문서관리"}],
        "valid_from": "2020-01-01", "valid_to": None,
        "rule": {"retention": "5y", "trigger": "year_after_closing", "action": "review",
                 "access": {"classification": "closed", "grounds": [5, 6]}, "notes": "개인정보 포함"}}
    assert tasks[0]["subjects"] == [{"kind": "unit_task", "id": "A01-001", "org_id": "org-alpha"}]
    [done] = classification.events("SchemeVersionPublished")
    assert done["payload"] == {"scheme_version": 1, "unit_task_count": 2, "published_at": published["published_at"]}
    assert done["subjects"] == [{"kind": "classification_scheme", "id": "org-alpha", "org_id": "org-alpha"}]
    # and a unit task is looked up by code in the current version
    found = classification.ok("GET", "/classification/unit-tasks/{code}", path={"code": "A01-002"}, who=REQUESTER)
    assert found["scheme_version"] == 1 and found["rule"]["retention"] == "permanent"
    assert classification.call("GET", "/classification/unit-tasks/{code}", path={"code": "A01"})[0] == 404


def test_a_published_version_never_changes(classification):
    number = _published(classification)
    before = classification.snapshot()
    path = {"version": str(number)}
    node = classification.get_node(number, "A01-001")
    answers = [
        classification.call("POST", f"{V}/nodes", path=path, body={"level": "function", "code": "B", "title": "B"},
                            headers={"Idempotency-Key": "late-node"}),
        classification.call("PATCH", f"{V}/nodes/{{code}}", path={**path, "code": "A01-001"}, body={"title": "x"},
                            headers={"If-Match": f'"{node["version"]}"'}),
        classification.call("PATCH", f"{V}/nodes/{{code}}", path={**path, "code": "A01-001"},
                            body={"rule": {"retention": "10y"}}, headers={"If-Match": f'"{node["version"]}"'}),
        classification.call("DELETE", f"{V}/nodes/{{code}}", path={**path, "code": "A01-002"},
                            headers={"If-Match": '"1"'}),
        classification.import_sheet(number, {"csv": sheet(["function,Z,,Z,,,,,,,,"])}),
        classification.publish(number, key="publish-again"),
    ]
    for status, body, _ in answers:
        assert status == 409 and body["type"].endswith("/scheme-version-published"), body
    assert classification.snapshot() == before


def test_a_rule_change_is_a_new_version_drafted_from_the_current_one(classification):
    _published(classification)
    second = classification.draft()
    assert second["scheme_version"] == 2 and second["based_on"] == 1 and second["node_count"] == 4
    assert classification.call("POST", "/classification/versions", headers={"Idempotency-Key": "two-drafts"})[0] == 409
    node = classification.get_node(2, "A01-001")
    status, changed, _ = classification.call(
        "PATCH", f"{V}/nodes/{{code}}", path={"version": "2", "code": "A01-001"},
        body={"rule": {"retention": "10y", "access": {"classification": "open"}}},
        headers={"If-Match": f'"{node["version"]}"'})
    assert status == 200 and changed["rule"]["retention"] == "10y" and changed["rule"]["notes"] == "개인정보 포함"
    # the published version is untouched, and stays current until the draft is published
    assert classification.get_node(1, "A01-001")["rule"]["retention"] == "5y"
    assert classification.ok("GET", "/classification/unit-tasks/{code}", path={"code": "A01-001"})["scheme_version"] == 1
    assert classification.publish(2)[0] == 200
    current = classification.ok("GET", "/classification/unit-tasks/{code}", path={"code": "A01-001"})
    assert current["scheme_version"] == 2 and current["rule"]["access"] == {"classification": "open", "grounds": []}
    versions = classification.ok("GET", "/classification/versions", who=AUDITOR)["items"]
    assert [(v["scheme_version"], v["status"]) for v in versions] == [(2, "published"), (1, "published")]
    assert len(classification.events("SchemeVersionPublished")) == 2


def test_bad_nodes_are_refused_with_every_bad_field_and_nothing_written(classification):
    classification.draft()
    classification.node(1, {"level": "function", "code": "A", "title": "A"})
    classification.node(1, {"level": "sub_function", "code": "A01", "parent_code": "A", "title": "A01"})
    before = classification.snapshot()
    status, problem, _ = classification.call("POST", f"{V}/nodes", path={"version": "1"}, body={
        "level": "unit_task", "code": "T1", "parent_code": "A01", "title": "T", "valid_from": "2024-05-01",
        "valid_to": "2024-02-30",
        "rule": {"retention": "30y", "action": "review", "access": {"classification": "closed"}}})
    assert status == 400
    assert {e["field"] for e in problem["errors"]} == {"valid_to", "rule.action", "rule.grounds"}
    status, problem, _ = classification.call("POST", f"{V}/nodes", path={"version": "1"}, body={
        "level": "function", "code": "B", "parent_code": "A", "title": "B",
        "rule": {"retention": "5y", "access": {"classification": "open", "grounds": [3]}}})
    assert status == 400 and {e["field"] for e in problem["errors"]} == {"parent_code", "rule"}
    status, problem, _ = classification.call("POST", f"{V}/nodes", path={"version": "1"}, body={
        "level": "unit_task", "code": "T2", "parent_code": "A", "title": "T",
        "rule": {"retention": "5y", "access": {"classification": "open"}}})
    assert status == 400 and problem["errors"][0]["field"] == "parent_code"  # A is a function, not a sub-function
    status, problem, _ = classification.call("POST", f"{V}/nodes", path={"version": "1"},
                                             body={"level": "function", "code": "A", "title": "again"})
    assert status == 409
    assert classification.snapshot() == before


def test_node_edits_take_if_match_and_a_parent_with_children_stays(classification):
    classification.draft()
    classification.small_tree(1)
    path = {"version": "1", "code": "A01"}
    assert classification.call("PATCH", f"{V}/nodes/{{code}}", path=path, body={"title": "x"})[0] == 428
    assert classification.call("PATCH", f"{V}/nodes/{{code}}", path=path, body={"title": "x"},
                               headers={"If-Match": '"7"'})[0] == 412
    status, problem, _ = classification.call("DELETE", f"{V}/nodes/{{code}}", path=path, headers={"If-Match": '"1"'})
    assert status == 409 and "2 nodes under it" in problem["detail"]
    # moving a unit task to a new sub-function moves the children counters with it
    classification.node(1, {"level": "sub_function", "code": "A02", "parent_code": "A", "title": "A02"})
    moved = classification.ok("PATCH", f"{V}/nodes/{{code}}", path={"version": "1", "code": "A01-002"},
                              body={"parent_code": "A02"}, headers={"If-Match": '"1"'})
    assert moved["parent_code"] == "A02" and moved["version"] == 2
    assert classification.get_node(1, "A01")["children"] == 1 and classification.get_node(1, "A02")["children"] == 1
    draft = classification.ok("DELETE", f"{V}/nodes/{{code}}", path={"version": "1", "code": "A01-002"},
                              headers={"If-Match": '"2"'})
    assert draft["node_count"] == 4 and draft["unit_task_count"] == 1
    assert classification.get_node(1, "A02")["children"] == 0


def test_an_import_is_all_or_nothing_with_every_flaw_of_every_row(classification):
    classification.draft()
    classification.small_tree(1)
    before = classification.snapshot()
    bad = sheet([
        "function,B,,경영지원,,,,,,,,",
        "sub_function,B01,B,인사,,,,,,,,",
        "unit_task,B01-001,B01,채용,,2021-01-01,2020-12-31,forever,,closed,,",
        "unit_task,B01-002,B01,급여,,,,30y,review,open,3,",
        "unit_task,B01-003,NOPE,복무,,,,5y,,partly_open,9,",
        "function,B,,중복,,,,10y,,,,",
        "unit_task,B01-004,B01,,,,,1y,,open,,",
    ])
    status, problem, _ = classification.import_sheet(1, {"csv": bad})
    assert status == 422 and problem["type"].endswith("/scheme-sheet-rejected")
    assert [e["field"] for e in problem["errors"]] == [
        "rows[3].valid_to", "rows[3].retention", "rows[3].grounds",
        "rows[4].action", "rows[4].grounds",
        "rows[5].parent_code", "rows[5].grounds",
        "rows[6].code", "rows[6].retention",
        "rows[7].title"]
    assert classification.snapshot() == before  # nothing written, the draft as it was


def test_a_valid_import_replaces_the_draft_and_exports_round_trip(classification):
    classification.draft()
    classification.small_tree(1)
    good = sheet([
        "unit_task,B01-002,B01,급여,\"지급, 공제\",,,30y,,partly_open,5;6,\"비고, 쉼표\"",
        "function,B,,경영지원,,2019-01-01,,,,,,",
        "sub_function,B01,B,인사,,,,,,,,",
        "unit_task,B01-001,B01,채용,,2021-01-01,2030-12-31,3y,review,open,,",
    ])
    status, draft, _ = classification.import_sheet(1, {"csv": good})
    assert status == 200 and draft["node_count"] == 4 and draft["unit_task_count"] == 2 and draft["imported_at"]
    assert [n["code"] for n in classification.nodes(1)] == ["B", "B01", "B01-001", "B01-002"]
    assert classification.get_node(1, "B01")["children"] == 2
    assert classification.call("GET", f"{V}/nodes/{{code}}", path={"version": "1", "code": "A"})[0] == 404
    # the replaced set is gone from the table, not only from view
    assert not [i for i in classification.items() if i["sk"]["S"] == "NODE#A01-001"]
    # CSV export: the same columns, depth first; it imports back unchanged
    status, text, headers = classification.call("GET", f"{V}/export", path={"version": "1"},
                                                query={"format": "csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == ["B", "B01", "B01-001", "B01-002"]
    assert rows[3] | {} == {"level": "unit_task", "code": "B01-002", "parent_code": "B01", "title": "급여",
                            "description": "지급, 공제", "valid_from": "", "valid_to": "", "retention": "30y",
                            "action": "transfer", "access": "partly_open", "grounds": "5;6", "notes": "비고, 쉼표"}
    status, again, _ = classification.import_sheet(1, {"csv": text})
    assert status == 200
    assert classification.call("GET", f"{V}/export", path={"version": "1"}, query={"format": "csv"})[1] == text
    exported = classification.ok("GET", f"{V}/export", path={"version": "1"}, who=REQUESTER)
    assert exported["scheme_version"] == 1 and [n["code"] for n in exported["nodes"]] == ["B", "B01", "B01-001",
                                                                                          "B01-002"]
    # an import needs the draft's current ETag: a stale one changes nothing
    assert classification.import_sheet(1, {"csv": good}, etag=draft["version"])[0] == 412


def test_roles_edit_and_read(classification):
    assert classification.call("POST", "/classification/versions", who=REQUESTER,
                               headers={"Idempotency-Key": "requester-draft"})[0] == 403
    assert classification.call("POST", "/classification/versions", who=MANAGER,
                               headers={"Idempotency-Key": "manager-draft"})[0] == 403
    draft = classification.draft(who=ADMIN)
    assert classification.call("POST", f"{V}/nodes", path={"version": "1"}, who=AUDITOR,
                               body={"level": "function", "code": "A", "title": "A"})[0] == 403
    for who in (REQUESTER, MANAGER, AUDITOR, ADMIN, ARCHIVIST):
        assert classification.version(draft["scheme_version"], who=who)["status"] == "draft"


def test_a_draft_is_opened_once_per_idempotency_key(classification):
    headers = {"Idempotency-Key": "first-scheme"}
    first = classification.call("POST", "/classification/versions", headers=headers)
    again = classification.call("POST", "/classification/versions", headers=headers)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2]["idempotent-replayed"] == "true"
    assert len(classification.ok("GET", "/classification/versions")["items"]) == 1


def test_another_organisations_ids_answer_404_on_every_route(classification):
    number = _published(classification)
    classification.draft()
    classification.node(2, {"level": "function", "code": "Z", "title": "Z"})
    before = classification.snapshot()
    other = OTHER_ARCHIVIST
    for version in (str(number), "2"):
        path, node = {"version": version}, {"version": version, "code": "A01-001"}
        for method, route, kwargs in [
            ("GET", V, {"path": path}),
            ("GET", f"{V}/nodes", {"path": path}),
            ("POST", f"{V}/nodes", {"path": path, "body": {"level": "function", "code": "Y", "title": "Y"}}),
            ("GET", f"{V}/nodes/{{code}}", {"path": node}),
            ("PATCH", f"{V}/nodes/{{code}}", {"path": node, "body": {"title": "x"}, "headers": {"If-Match": '"1"'}}),
            ("DELETE", f"{V}/nodes/{{code}}", {"path": node, "headers": {"If-Match": '"1"'}}),
            ("POST", f"{V}/import", {"path": path, "body": {"csv": sheet(["function,Y,,Y,,,,,,,,"])},
                                     "headers": {"If-Match": '"1"'}}),
            ("GET", f"{V}/export", {"path": path}),
            ("POST", f"{V}/publish", {"path": path, "headers": {"If-Match": '"1"'}}),
        ]:
            status, problem, _ = classification.call(method, route, who=other, **kwargs)
            assert status == 404 and problem["type"].endswith("/not-found"), (method, route, version, problem)
    assert classification.call("GET", "/classification/unit-tasks/{code}", path={"code": "A01-001"}, who=other)[0] == 404
    assert classification.ok("GET", "/classification/versions", who=other)["items"] == []
    assert classification.snapshot() == before


@pytest.mark.parametrize("version", ["0", "01", "x", "1.0", "9999999"])
def test_a_version_that_cannot_be_a_number_names_nothing(classification, version):
    assert classification.call("GET", V, path={"version": version})[0] == 404


def test_an_edit_that_lands_while_a_sheet_is_written_wins_and_the_import_leaves_nothing(classification,
                                                                                         monkeypatch):
    from classification.data import nodes as node_store
    classification.draft()
    classification.small_tree(1)
    write_set = node_store.write_set

    def edit_meanwhile(nodes):
        write_set(nodes)
        classification.ok("PATCH", f"{V}/nodes/{{code}}", path={"version": "1", "code": "A"}, body={"title": "B"},
                          headers={"If-Match": '"1"'})

    monkeypatch.setattr(node_store, "write_set", edit_meanwhile)
    status, problem, _ = classification.import_sheet(1, {"csv": sheet(["function,Z,,Z,,,,,,,,"])})
    assert status == 412, problem
    assert [n["code"] for n in classification.nodes(1)] == ["A", "A01", "A01-001", "A01-002"]
    assert classification.get_node(1, "A")["title"] == "B"
    assert sorted(i["sk"]["S"] for i in classification.items() if i["sk"]["S"].startswith("NODE#")) == [
        "NODE#A", "NODE#A01", "NODE#A01-001", "NODE#A01-002"]  # the staged set is gone
