"""Records' routes against moto: filing under the current class, closing with due dates, access and
organisation boundaries, bad input. GIVEN / WHEN / THEN in each test's own words."""
from __future__ import annotations

from tests.integration.records_world import OTHER_ARCHIVIST


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
    assert sorted(e["type"] for e in records.events()) == ["FileClosed", "FileCreated"]
    # AND another organisation's archivist finds nothing there
    status, body, _ = records.call("GET", "/records/files/{file_id}", path={"file_id": file["id"]},
                                   who=OTHER_ARCHIVIST)
    assert status == 404, body
