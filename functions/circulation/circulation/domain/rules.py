"""Who may do what with check-out requests, and the parties check the check-out saga makes.

Every route works inside the caller's own organisation (from the token). Requesters and
archivists ask for their own organisation's boxes and see their own requests; stack managers
and admins decide, check out and take back; auditors read. A request of another organisation,
or another person's request for a requester, answers 404: its existence is not disclosed.
"""
from __future__ import annotations

from shared.auth import Caller, not_found
from shared.problems import Forbidden

from .model import MANAGER_ROLES, READER_ROLES, REQUESTER_ROLES, Party, Request
from .policy import Policy, check_approver


class PartiesRefused(Exception):
    """Business rejection in the saga: the recorded requester or approver may not take part."""


def org_of(caller: Caller) -> str:
    return caller.require_org()


def party(caller: Caller) -> Party:
    return Party(user_id=caller.user_id, org_id=caller.org_id, roles=tuple(sorted(caller.roles)))


def require_requester(caller: Caller) -> str:
    return caller.require_org(*REQUESTER_ROLES)


def require_manager(caller: Caller) -> str:
    return caller.require_org(*MANAGER_ROLES)


def require_reader(caller: Caller) -> str:
    """The register and the policy: stack managers, admins and auditors."""
    return caller.require_org(*READER_ROLES)


def sees_all(caller: Caller) -> bool:
    return caller.has_role(*READER_ROLES)


def require_visible(caller: Caller, request: Request | None) -> Request:
    if request is None or request.org_id != caller.org_id:
        raise not_found("request")
    if not sees_all(caller) and request.requester.user_id != caller.user_id:
        raise not_found("request")
    return request


def require_can_cancel(caller: Caller, request: Request) -> None:
    if request.requester.user_id == caller.user_id or caller.has_role(*MANAGER_ROLES):
        return
    raise Forbidden("Only the requester or a stack manager may cancel a request.")


def check_parties(request: Request, policy: Policy) -> None:
    """The saga's first step: the people recorded on the request (from their tokens) may take part."""
    requester, approver = request.requester, request.approver
    if requester.org_id != request.org_id or not set(requester.roles) & set(REQUESTER_ROLES):
        raise PartiesRefused(f"The requester {requester.user_id} was not a requester of {request.org_id}.")
    if approver is None:
        raise PartiesRefused("The request has no approver.")
    if approver.org_id != request.org_id or not set(approver.roles) & set(MANAGER_ROLES):
        raise PartiesRefused(f"The approver {approver.user_id} was not a stack manager of {request.org_id}.")
    try:
        check_approver(approver, requester, policy)
    except Exception as exc:  # PolicyRefused: a problem for the API, a business rejection for the saga
        raise PartiesRefused(str(exc)) from None
