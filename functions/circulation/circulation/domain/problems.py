"""Circulation's own refusals, each with a stable problem `type` (part of the API contract)."""
from __future__ import annotations

from shared.problems import Problem


class PolicyRefused(Problem):
    """The organisation's circulation policy does not allow this (which rule: the `rule` member)."""

    slug = "circulation-policy-refused"
    title = "Refused by circulation policy"
    status = 422


class UnknownBox(Problem):
    """Circulation does not know this box in the caller's organisation (from stacks' events)."""

    slug = "unknown-box"
    title = "Unknown box"
    status = 422


class BoxOnLoan(Problem):
    """Another request holds the box (checked out, or being checked out or returned).

    No route raises it since a check-out of a held box joins the box's queue instead (issue 13);
    the type stays published, as every problem type does once clients may know it."""

    slug = "box-on-loan"
    title = "Box on loan"
    status = 409


class RequestStateConflict(Problem):
    """The request's status does not allow this action."""

    slug = "request-state-conflict"
    title = "Request state conflict"
    status = 409


PROBLEMS = (PolicyRefused, UnknownBox, BoxOnLoan, RequestStateConflict)
