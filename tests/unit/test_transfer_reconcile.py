"""What the reconcile job decides for a transfer a saga should be moving, without AWS: a lost start is started
under the same name, an ended execution gets the next attempt, a running one is left alone until it runs past
its bound, and a transfer that moved on is not touched."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from transfer.domain import reconcile
from transfer.domain.model import Transfer

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def _transfer(status: str = "packaging", **kw) -> Transfer:
    return Transfer(**{"org_id": "org-centre", "id": "t1", "role": "sender", "kind": "to_archive",
                       "sender_org": "org-centre", "receiver_org": "org-archive", "title": "2014",
                       "file_count": 3, "page_count": 1, "created_by": "u", "created_at": "2026-12-01T00:00:00.000Z",
                       "status": status, **kw})


def test_a_lost_start_is_started_again_under_the_attempt_s_own_name():
    assert reconcile.decide(_transfer(), None, None, NOW) == reconcile.Decision(
        "start", "package", 0, "no execution: its start was lost")
    accepting = reconcile.decide(_transfer("accepting", accept_attempts=2), None, None, NOW)
    assert (accepting.action, accepting.saga, accepting.attempt) == ("start", "accept", 2)


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"])
def test_an_execution_that_ended_with_the_transfer_still_in_its_saga_gets_the_next_attempt(status):
    package = reconcile.decide(_transfer(package_attempts=1), status, NOW - timedelta(hours=1), NOW)
    assert (package.action, package.saga, package.attempt) == ("restart", "package", 2)
    assert status in package.reason
    accept = reconcile.decide(_transfer("accepting", accept_attempts=1), status, NOW - timedelta(hours=1), NOW)
    assert (accept.action, accept.saga, accept.attempt) == ("restart", "accept", 2)


def test_a_running_execution_is_left_alone_within_its_bound_and_stopped_past_it():
    bound = reconcile.running_bound(1)
    assert reconcile.decide(_transfer(), "RUNNING", NOW - bound + timedelta(minutes=1), NOW).action == "leave"
    assert reconcile.decide(_transfer(), "RUNNING", NOW - bound, NOW).action == "leave"
    past = reconcile.decide(_transfer(), "RUNNING", NOW - bound - timedelta(minutes=1), NOW)
    assert (past.action, past.attempt) == ("stop", 0)  # the next run restarts it, once it is ABORTED


def test_the_bound_grows_with_the_pages_an_execution_iterates():
    assert reconcile.running_bound(0) == reconcile.RUNNING_BOUND
    assert reconcile.running_bound(40) == reconcile.RUNNING_BOUND + 40 * reconcile.RUNNING_PER_PAGE
    started = NOW - reconcile.running_bound(1) - timedelta(minutes=1)  # past the bound of one page, not of 40
    assert reconcile.decide(_transfer(page_count=40), "RUNNING", started, NOW).action == "leave"


@pytest.mark.parametrize("status", ["draft", "awaiting_inspection", "accepted", "rejected", "failed", "cancelled",
                                    "ready"])
def test_a_transfer_no_saga_should_be_moving_is_not_touched(status):
    assert reconcile.saga_of(_transfer(status)) is None
    assert reconcile.decide(_transfer(status), "FAILED", NOW, NOW) is None
    assert reconcile.decide(_transfer(status), None, None, NOW) is None
