"""Records' long jobs against moto: bulk registration of files and items (CSV and JSON), each row whole or
not at all, per-row errors, progress; and the scheduled access jobs (re-reviews, the 30-year rule)."""
from __future__ import annotations

from tests.integration.inventory_world import sqs_event
from tests.integration.records_world import AUDITOR, OTHER_ARCHIVIST, REQUESTER, rule
from tests.support.events import FakeLambdaContext

CSV = """record,reference,class_code,title,producing_unit,record_type,electronic,keywords,closed_on,file_reference,registration_number,pages,access,grounds
file,FIN-2020-1,FIN-01,Budget 2020,Finance,general_document,true,budget;2020,2020-12-31,,,,,
item,,,Memo one,,,,,,FIN-2020-1,2020-0001,3,,
item,,,Memo two,,,,,,FIN-2020-1,2020-0002,x,,
item,,,Memo three,,,,,,FIN-2020-1,2020-0001,1,,
file,FIN-2020-2,NOPE-1,Unknown class,Finance,card,false,,,,,,,
item,,,Orphan,,,,,,FIN-2020-2,2020-0009,,,
file,FIN-2020-3,FIN-01,Personnel,Admin,register,no,,,,,,closed,6
item,,,Personnel card,,,,,,FIN-2020-3,2020-0010,1,,
"""


def run_jobs(records) -> None:
    """What the jobs queue delivers: each JobSubmitted envelope, to the real jobs function."""
    from records.jobs import handler
    for envelope in records.events("JobSubmitted"):
        assert handler(sqs_event([envelope]), FakeLambdaContext()) == {"batchItemFailures": []}


def test_a_csv_registers_files_and_items_row_by_row(records):
    records.scheme(1)
    status, job, headers = records.call("POST", "/records/imports", raw_body=CSV,
                                        headers={"Content-Type": "text/csv", "Idempotency-Key": "import-2020"})
    assert status == 202, job
    assert headers["location"].endswith(f"/records/jobs/{job['id']}")
    assert (job["status"], job["total"], job["done"], job["percent"]) == ("queued", 8, 0, 0)
    run_jobs(records)
    done = records.ok("GET", "/records/jobs/{job_id}", path={"job_id": job["id"]})
    assert (done["status"], done["total"], done["done"], done["succeeded"], done["failed"], done["percent"]) == \
        ("completed", 8, 8, 4, 4, 100)
    errors = records.ok("GET", "/records/jobs/{job_id}/errors", path={"job_id": job["id"]})["items"]
    assert [(e["row"], e["errors"][0]["field"]) for e in errors] == \
        [(3, "pages"), (4, "registration_number"), (5, "class_code"), (6, "file_reference")]
    # the orphan's file was rejected, so was it (its own error), and nothing of either was written
    files = {f["reference"]: f for f in records.ok("GET", "/records/files")["items"]}
    assert set(files) == {"FIN-2020-1", "FIN-2020-3"}
    legacy = files["FIN-2020-1"]
    assert (legacy["status"], legacy["disposal_due"], legacy["keywords"]) == ("closed", "2026-01-01", ["budget", "2020"])
    items = records.ok("GET", "/records/files/{file_id}/items", path={"file_id": legacy["id"]})["items"]
    assert [i["registration_number"] for i in items] == ["2020-0001"]
    assert files["FIN-2020-3"]["access"]["classification"] == "closed"
    assert sorted({e["type"] for e in records.events()}) == ["FileClosed", "FileCreated", "FileStatusChanged", "ItemAdded",
                                                             "JobFinished", "JobSubmitted"]
    assert len(records.events("ItemAdded")) == 2
    # a redelivered message changes nothing
    run_jobs(records)
    assert len(records.events("ItemAdded")) == 2


def test_json_rows_and_an_organisation_boundary(records):
    records.scheme(1)
    rows = [{"record": "file", "reference": "F-1", "class_code": "FIN-01", "title": "t", "producing_unit": "u",
             "record_type": "card", "electronic": False},
            *[{"record": "item", "file_reference": "F-1", "registration_number": f"N-{n}", "title": f"Item {n}"}
              for n in range(120)]]
    job = records.ok("POST", "/records/imports", body={"rows": rows}, expect=202)
    status, body, _ = records.call("GET", "/records/jobs/{job_id}", path={"job_id": job["id"]}, who=OTHER_ARCHIVIST)
    assert status == 404, body
    status, body, _ = records.call("GET", "/records/jobs/{job_id}", path={"job_id": job["id"]}, who=REQUESTER)
    assert status == 403, body
    run_jobs(records)
    done = records.ok("GET", "/records/jobs/{job_id}", path={"job_id": job["id"]}, who=AUDITOR)
    assert (done["status"], done["succeeded"], done["failed"]) == ("completed", 121, 0)
    file, = records.ok("GET", "/records/files")["items"]
    listed = records.ok("GET", "/records/files/{file_id}/items", path={"file_id": file["id"]}, query={"limit": "100"})
    assert len(listed["items"]) == 100 and listed["next_cursor"]


def test_an_upload_that_is_bad_as_a_whole_writes_nothing(records):
    records.scheme(1)
    before = records.snapshot()
    for kwargs, expected in [({"raw_body": "", "headers": {"Content-Type": "text/csv"}}, 400),
                             ({"raw_body": "a,a\n1,2\n", "headers": {"Content-Type": "text/csv"}}, 400),
                             ({"body": {"rows": []}}, 400), ({"body": {"rows": [1]}}, 400),
                             ({"raw_body": "x", "headers": {"Content-Type": "text/plain"}}, 415)]:
        status, body, _ = records.call("POST", "/records/imports", **kwargs)
        assert status == expected, (kwargs, body)
    assert records.snapshot() == before


# ------------------------------------------------------------------ access jobs
def run_job(name: str, today: str) -> dict:
    from records.tasks import handler
    return handler({"job": name, "today": today}, FakeLambdaContext())


def test_non_public_files_are_reviewed_every_five_years(records):
    records.scheme(1, {"FIN-01": rule("10y"), "FIN-02": rule("permanent", access="closed", grounds=[2])})
    closed = records.file("FIN-02")
    review_on = closed["access"]["review_on"]
    records.file("FIN-01", key="open-one")
    assert run_job("open_due_access_reviews", "2026-01-01")["opened"] == []
    result = run_job("open_due_access_reviews", review_on)
    assert len(result["opened"]) == 1
    assert run_job("open_due_access_reviews", review_on)["opened"] == []  # one task per file and due date
    review, = records.ok("GET", "/records/access-reviews")["items"]
    assert (review["file_id"], review["status"], review["due_on"]) == (closed["id"], "open", review_on)
    status, body, _ = records.call("GET", "/records/access-reviews", who=REQUESTER)
    assert status == 403, body
    # the archivist keeps the classification: the next review is five years on
    status, done, _ = records.call("POST", "/records/access-reviews/{review_id}/complete",
                                   path={"review_id": review["id"]}, body={"note": "Still personal data"},
                                   headers={"If-Match": f'"{review["version"]}"'})
    assert (status, done["status"], done["outcome"]) == (200, "done", "kept"), done
    file = records.get(closed["id"])
    assert file["review_task_id"] is None and file["access"]["review_on"] > review_on
    assert sorted(e["type"] for e in records.events() if e["type"].startswith("AccessReview")) == \
        ["AccessReviewCompleted", "AccessReviewOpened"]
    assert records.ok("GET", "/records/access-reviews")["items"] == []


def test_non_public_files_open_thirty_years_after_production_unless_extended(records):
    records.scheme(1, {"FIN-02": rule("permanent", access="closed", grounds=[2])})
    old = records.file("FIN-02", key="old")
    item = records.ok("POST", "/records/files/{file_id}/items", path={"file_id": old["id"]},
                      body={"registration_number": "1990-1", "title": "Old memo"}, expect=201)
    _, old, _ = records.close(old, closed_on="1990-06-30")
    extended = records.file("FIN-02", key="extended")
    _, extended, _ = records.close(extended, closed_on="1990-06-30")
    records.ok("POST", "/records/files/{file_id}/access", path={"file_id": extended["id"]},
               headers={"If-Match": f'"{extended["version"]}"'},
               body={"classification": "closed", "grounds": [2], "extended_until": "2040-01-01",
                     "reason": "Extension granted by the committee"})
    assert run_job("open_after_thirty_years", "2020-12-31")["opened"] == []
    result = run_job("open_after_thirty_years", "2021-01-01")
    assert result["opened"] == [old["id"]]
    opened = records.get(old["id"], who=REQUESTER)
    assert opened["access"]["classification"] == "open" and opened["title"] == "Budget 2026"
    assert records.ok("GET", "/records/files/{file_id}/items/{item_id}", path={"file_id": old["id"],
                      "item_id": item["id"]}, who=REQUESTER)["title"] == "Old memo"
    assert records.get(extended["id"])["access"]["classification"] == "closed"
    change = [e for e in records.events("AccessChanged") if e["payload"]["reason"] == "thirty_year_rule"]
    assert [e["payload"]["file_id"] for e in change] == [old["id"]]
    assert run_job("open_after_thirty_years", "2021-01-02")["opened"] == []


def test_reclassifying_a_file_completes_its_open_review(records):
    records.scheme(1, {"FIN-02": rule("permanent", access="closed", grounds=[2])})
    file = records.file("FIN-02")
    run_job("open_due_access_reviews", file["access"]["review_on"])
    file = records.get(file["id"])
    assert file["review_task_id"]
    status, opened, _ = records.call("POST", "/records/files/{file_id}/access", path={"file_id": file["id"]},
                                     headers={"If-Match": f'"{file["version"]}"'},
                                     body={"classification": "open", "reason": "No longer sensitive"})
    assert status == 200 and opened["review_task_id"] is None and opened["access"]["review_on"] is None, opened
    review = records.ok("GET", "/records/access-reviews/{review_id}", path={"review_id": file["review_task_id"]})
    assert (review["status"], review["outcome"], review["note"]) == ("done", "changed", "No longer sensitive")
    event, = records.events("AccessChanged")
    assert event["payload"]["review_id"] == review["id"]
    # an open file is no longer due for review
    assert run_job("open_due_access_reviews", "2099-01-01")["opened"] == []
