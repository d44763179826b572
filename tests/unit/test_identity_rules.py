"""Identity's rules: who may manage what, and which changes are allowed."""
from __future__ import annotations

import pytest

from identity.domain import rules
from identity.domain.model import Organisation, User
from shared.auth import Caller
from shared.problems import Conflict, Forbidden, NotFound, ValidationFailed

SYS = Caller("root", "org-nak", frozenset({"sysadmin", "admin"}))
ADMIN = Caller("adm", "org-a", frozenset({"admin"}))
AUDITOR = Caller("aud", "org-a", frozenset({"auditor"}))
CLERK = Caller("clk", "org-a", frozenset({"requester"}))


def user(status="active", roles=("archivist",), uid="u1"):
    return User(id=uid, org_id="org-a", email="u@x.org", display_name="U", roles=roles, status=status)


def test_only_sysadmins_manage_organisations():
    rules.require_sysadmin(SYS)
    with pytest.raises(Forbidden):
        rules.require_sysadmin(ADMIN)


def test_members_see_their_organisation_only_sysadmins_see_all():
    rules.require_can_view_org(ADMIN, "org-a")
    rules.require_can_view_org(SYS, "org-a")
    with pytest.raises(NotFound):
        rules.require_can_view_org(ADMIN, "org-b")


def test_nobody_sees_another_organisations_users_not_even_a_sysadmin():
    with pytest.raises(NotFound):
        rules.require_can_view_user(SYS, "org-a")
    with pytest.raises(NotFound):
        rules.require_user_admin(SYS, "org-a")


def test_user_reading_needs_admin_or_auditor_except_oneself():
    rules.require_can_view_user(AUDITOR, "org-a")
    rules.require_can_view_user(CLERK, "org-a", "clk")
    with pytest.raises(Forbidden):
        rules.require_can_view_user(CLERK, "org-a", "someone-else")


def test_roles_are_checked_and_normalised():
    assert rules.check_roles(["auditor", "admin", "auditor"]) == ("admin", "auditor")
    with pytest.raises(ValidationFailed):
        rules.check_roles(["sysadmin"])  # a platform role is never granted through the API
    with pytest.raises(ValidationFailed):
        rules.check_roles([])


def test_hierarchy_cannot_loop_or_hang_from_nothing():
    parent = Organisation(id="org-p", name="P", type="permanent_archive", parent_id=None)
    rules.check_parent("org-c", parent, "org-p", ["org-p"])
    with pytest.raises(Conflict):
        rules.check_parent("org-c", parent, "org-p", ["org-p", "org-c"])
    with pytest.raises(ValidationFailed):
        rules.check_parent("org-c", None, "org-missing", [])
    with pytest.raises(Conflict):
        rules.check_parent("org-c", Organisation(id="org-p", name="P", type="agency", parent_id=None,
                                                 status="inactive"), "org-p", [])


def test_status_changes():
    rules.check_status_change(user("active"), "deactivated", ADMIN)
    rules.check_status_change(user("deactivated"), "active", ADMIN)
    for status, target in (("provisioning", "deactivated"), ("failed", "active"), ("active", "active")):
        with pytest.raises(Conflict):
            rules.check_status_change(user(status), target, ADMIN)
    with pytest.raises(Conflict):  # no locking yourself out
        rules.check_status_change(user(uid="adm"), "deactivated", ADMIN)


def test_admins_cannot_drop_their_own_admin_role():
    rules.check_role_change(user(), ("auditor",), ADMIN)
    with pytest.raises(Conflict):
        rules.check_role_change(user(uid="adm", roles=("admin",)), ("auditor",), ADMIN)
    with pytest.raises(Conflict):
        rules.check_role_change(user(status="provisioning"), ("auditor",), ADMIN)
