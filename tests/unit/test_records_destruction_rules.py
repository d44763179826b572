"""Records' destruction rules without AWS: the being_destroyed moves, what each step decides per file, the
guards that freeze a marked file and answer 410 for destroyed content, and the committee's re-set."""
from __future__ import annotations

import pytest

from records.domain import decisions, destruction, lifecycle
from records.domain.components import Component
from records.domain.model import Access, RecordFile, Rule
from records.domain.problems import ContentDestroyed, FileBeingDestroyed, FileStateConflict


def a_file(**changes) -> RecordFile:
    return RecordFile(org_id="o", id="f1", class_code="FIN-01", scheme_version=1, rule_version=1,
                      rule=Rule("5y", "review"), title="Budget", producing_unit="Finance",
                      record_type="general_document", electronic=True, access=Access(),
                      status="closed").with_changes(**changes)


def a_component(**changes) -> Component:
    return Component(org_id="o", file_id="f1", item_id="i1", id="c1", filename="a.pdf", media_type="application/pdf",
                     size=10, sha256="ab" * 32, object_key="components/o/f1/i1/c1", object_version="v1"
                     ).with_changes(**changes)


# ------------------------------------------------------------------ moves
@pytest.mark.parametrize("current, target", [("closed", "being_destroyed"), ("under_review", "being_destroyed"),
                                             ("being_destroyed", "closed"), ("being_destroyed", "under_review"),
                                             ("being_destroyed", "destroyed")])
def test_being_destroyed_is_reached_from_closed_or_under_review_and_left_back_or_destroyed(current, target):
    lifecycle.check_move(current, target)


@pytest.mark.parametrize("current, target", [("open", "being_destroyed"), ("held", "being_destroyed"),
                                             ("destroyed", "being_destroyed"), ("transferred", "being_destroyed"),
                                             ("being_destroyed", "open"), ("being_destroyed", "held"),
                                             ("being_destroyed", "transferred")])
def test_being_destroyed_refuses_every_other_move(current, target):
    with pytest.raises(lifecycle.MoveRefused):
        lifecycle.check_move(current, target)


def test_a_file_being_destroyed_is_neither_editable_nor_final_and_takes_no_items():
    assert "being_destroyed" in lifecycle.STATUSES and "being_destroyed" not in lifecycle.FINAL
    assert not lifecycle.editable("being_destroyed") and not lifecycle.accepts_items("being_destroyed")
    assert lifecycle.editable("closed") and lifecycle.editable("under_review")


# --------------------------------------------------------- mark / unmark
@pytest.mark.parametrize("file, reason", [
    (None, "unknown-file"),
    (a_file(status="open"), "not-closed"),
    (a_file(status="destroyed"), "final"),
    (a_file(status="transferred"), "final"),
    (a_file(status="being_destroyed", destruction_run_id="run-2"), "in-other-run"),
    (a_file(status="held"), "status-held"),
    (a_file(status="closed"), None),
    (a_file(status="under_review"), None),
    (a_file(status="being_destroyed", destruction_run_id="run-1"), None),  # marked by this run before
])
def test_what_marking_refuses(file, reason):
    assert destruction.mark_refusal(file, "run-1") == reason


def test_a_mark_keeps_the_prior_status_and_an_unmark_goes_back_to_it():
    marked = a_file(status="under_review").with_changes(**destruction.marked(a_file(status="under_review"), "run-1"))
    assert (marked.status, marked.prior_status, marked.destruction_run_id) == ("being_destroyed", "under_review",
                                                                                "run-1")
    assert destruction.already_marked(marked, "run-1") and not destruction.already_marked(marked, "run-2")
    back = marked.with_changes(**destruction.unmarked(marked))
    assert (back.status, back.prior_status) == ("under_review", None)
    assert destruction.released_by(back, "run-1") and not destruction.released_by(back, "run-2")
    # a prior status that was never kept (or makes no sense) goes back to closed
    assert destruction.unmarked(marked.with_changes(prior_status=None))["status"] == "closed"
    assert destruction.unmarked(marked.with_changes(prior_status="open"))["status"] == "closed"


@pytest.mark.parametrize("file, reason", [
    (None, "unknown-file"),
    (a_file(status="closed"), "not-marked"),
    (a_file(status="closed", destruction_run_id="run-1"), "not-marked"),  # let go by this run
    (a_file(status="being_destroyed", destruction_run_id="run-2"), "in-other-run"),
    (a_file(status="destroyed", destruction_run_id="run-2"), "final"),
    (a_file(status="being_destroyed", destruction_run_id="run-1"), None),
    (a_file(status="destroyed", destruction_run_id="run-1"), None),  # a retry answers what it destroyed
])
def test_what_destroying_skips(file, reason):
    assert destruction.destroy_skip(file, "run-1") == reason


# ------------------------------------------------------------------ guards
def test_a_marked_file_refuses_changes_with_a_409_naming_the_run():
    destruction.refuse_while_marked(a_file(status="closed"), "anything")
    with pytest.raises(FileBeingDestroyed) as refused:
        destruction.refuse_while_marked(a_file(status="being_destroyed", destruction_run_id="run-4"), "closing it")
    problem = refused.value
    assert isinstance(problem, FileStateConflict) and problem.status == 409
    assert problem.to_dict()["run_id"] == "run-4" and "run-4" in problem.detail and "closing it" in problem.detail
    assert problem.type.endswith("/file-being-destroyed")


def test_destroyed_content_answers_410_naming_the_run_while_live_content_does_not():
    destruction.refuse_destroyed_content(a_component())
    destruction.refuse_destroyed_content(a_component(), a_file(status="being_destroyed"))  # not yet destroyed
    gone = a_component(status="destroyed", destruction_run_id="run-4", destroyed_at="2026-12-02T00:00:00.000Z")
    for component, file in ((gone, None), (a_component(), a_file(status="destroyed", destruction_run_id="run-4"))):
        with pytest.raises(ContentDestroyed) as refused:
            destruction.refuse_destroyed_content(component, file)
        assert refused.value.status == 410 and refused.value.to_dict()["run_id"] == "run-4"


def test_a_destroyed_component_keeps_its_hash_and_says_how_many_versions_went():
    gone = a_component(status="destroyed", destruction_run_id="run-4", destruction_versions=("v1", "m1"),
                       destroyed_at="2026-12-02T00:00:00.000Z")
    assert gone.public()["sha256"] == "ab" * 32
    assert gone.public()["destruction"] == {"run_id": "run-4", "destroyed_at": "2026-12-02T00:00:00.000Z",
                                            "versions_deleted": 2}
    assert destruction.component_entry(gone) == {"component_id": "c1", "item_id": "i1", "name": "a.pdf",
                                                 "sha256": "ab" * 32, "size": 10, "versions_deleted": 2}
    assert a_component().public()["destruction"] is None and a_component().public()["status"] == "captured"


# -------------------------------------------------------- committee re-set
def decided(**payload) -> dict:
    body = {"file_id": "f1", "list_id": "l1", "meeting_id": "m7", "decision": "reset_retention", "retention": "10y",
            **payload}
    return {"id": "e1", "source": "records.disposal", "type": "CommitteeDecided", "payload": body,
            "subjects": [{"kind": "record_file", "id": "f1", "org_id": "o"}, {"kind": "review_list", "id": "l1",
                                                                              "org_id": "o"}],
            "actor": {"user_id": "u-chair"}}


def test_a_reset_decision_names_the_file_the_period_and_the_meeting():
    reset = decisions.retention_reset(decided())
    assert (reset.org_id, reset.file_id, reset.retention, reset.event_id) == ("o", "f1", "10y", "e1")
    assert reset.reason == "appraisal committee decision (meeting m7)" and reset.actor == {"user_id": "u-chair"}


@pytest.mark.parametrize("change", [{"decision": "destroy", "retention": None}, {"decision": "defer"},
                                    {"retention": "7y"}, {"file_id": "f2"}])
def test_other_decisions_and_unusable_events_ask_nothing(change):
    assert decisions.retention_reset(decided(**change)) is None


def test_only_files_in_keeping_and_held_by_no_run_take_a_reset():
    assert all(decisions.resettable(s) for s in ("open", "closed", "under_review", "held"))
    assert not any(decisions.resettable(s) for s in ("being_destroyed", "destroyed", "transferred"))
