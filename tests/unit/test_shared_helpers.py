"""The helpers every capability shares: the organisation-and-role guard, not-found, the event
factory, and the retry loop of read-decide-write steps."""
from __future__ import annotations

import pytest

from shared.auth import Caller, require_found
from shared.events import EventFactory, Subject, system_actor
from shared.observability import set_correlation_id
from shared.problems import Forbidden, NotFound, PreconditionFailed
from shared.tasks import StepContended, TransientError, retrying, task_handler
from tests.support.events import FakeLambdaContext


def caller(org: str | None, *roles: str) -> Caller:
    return Caller(user_id="u1", org_id=org, roles=frozenset(roles))


def test_require_org_names_the_callers_organisation_once_a_role_matches():
    assert caller("org-a", "archivist").require_org("stack_manager", "archivist") == "org-a"
    assert caller("org-a").require_org() == "org-a"  # no role named: any member
    with pytest.raises(Forbidden, match="needs one of the roles: stack_manager"):
        caller("org-a", "requester").require_org("stack_manager")


def test_a_token_without_organisation_is_refused_before_the_roles_are_looked_at():
    with pytest.raises(Forbidden, match="^Your token names no organisation; stacks belong to organisations.$"):
        caller(None, "stack_manager").require_org("stack_manager", holdings="stacks")
    with pytest.raises(Forbidden, match="^Your token names no organisation.$"):
        caller(None).require_org("requester")


def test_require_found_answers_404_in_the_callers_terms():
    assert require_found("box", "box") == "box"
    with pytest.raises(NotFound, match="No shelf with that id in your organisation."):
        require_found(None, "shelf")


def test_the_event_factory_names_its_capability_and_the_correlation_id():
    set_correlation_id("corr-1")
    try:
        made = EventFactory("stacks")("BoxMoved", [Subject("box", "b1", "o1")], {"x": 1},
                                      system_actor("o1", loan_id="l1"))
    finally:
        set_correlation_id(None)
    assert (made.source, made.type, made.correlation_id) == ("records.stacks", "BoxMoved", "corr-1")
    assert made.actor == {"user_id": "system", "org_id": "o1", "loan_id": "l1"}


def test_retrying_decides_again_after_a_lost_race_and_gives_up_as_contended():
    calls = []

    def loses_twice():
        calls.append(1)
        if len(calls) < 3:
            raise PreconditionFailed("changed")
        return "done"

    assert retrying(loses_twice, attempts=3, lost=(PreconditionFailed,), contended="busy") == "done"
    with pytest.raises(StepContended, match="busy"):
        retrying(lambda: (_ for _ in ()).throw(PreconditionFailed("x")), attempts=2, lost=(PreconditionFailed,),
                 contended="busy")
    with pytest.raises(ValueError):  # anything else is not a lost race
        retrying(lambda: (_ for _ in ()).throw(ValueError("x")), attempts=2, lost=(PreconditionFailed,), contended="-")


def test_a_contended_step_reaches_the_state_machine_as_transient_error():
    def contended(event):
        raise StepContended("kept changing")

    handler = task_handler(steps={"s": contended})
    with pytest.raises(TransientError) as raised:
        handler({"step": "s"}, FakeLambdaContext())
    assert type(raised.value) is TransientError and str(raised.value) == "kept changing"


def test_each_step_declares_the_keys_it_needs():
    from shared.tasks import InvalidTaskInput
    handler = task_handler(steps={"a": lambda e: {"a": e["x"]}, "b": lambda e: {"b": len(e["items"])},
                                  "c": lambda e: {"c": True}},
                           required={"a": ("x",), "b": ("items",)})
    assert handler({"step": "a", "x": "1"}, FakeLambdaContext()) == {"a": "1"}
    assert handler({"step": "b", "items": []}, FakeLambdaContext()) == {"b": 0}  # an empty page is a value
    assert handler({"step": "c"}, FakeLambdaContext()) == {"c": True}  # a step not named needs nothing
    for event, missing in (({"step": "a"}, "x"), ({"step": "a", "x": ""}, "x"), ({"step": "b", "items": None}, "items"),
                           ({"step": "b", "x": "1"}, "items")):
        with pytest.raises(InvalidTaskInput, match=f"needs {missing}"):
            handler(event, FakeLambdaContext())
    shared_keys = task_handler(steps={"a": lambda e: {}}, required=("x",))  # one tuple: every step
    with pytest.raises(InvalidTaskInput):
        shared_keys({"step": "a", "x": {}}, FakeLambdaContext())
