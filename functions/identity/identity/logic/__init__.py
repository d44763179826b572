"""Identity's use cases, as the HTTP layer (app.py) and the task handler (tasks.py) call them:
check the rules, change the table (with the event), drive the saga.

Functions take the caller and plain data, return domain objects, and know nothing of HTTP.
The identity provider (Cognito) and the table are kept consistent: new users go through the
provisioning saga; role and status changes apply to the provider first and are undone there
if the table write is refused. Each concern lives in its own module under `logic/`:
organisations, users (and `me`), idp_sync (the provider in line with the table), saga (the
provisioning steps) and jobs (reconcile, bootstrap); common holds the events and subjects
they share and the making of a new user. `access` (the staff authorizer's decision) is not
re-exported: only the authorizer imports it, so the API's functions never load the JWT library.
"""
from __future__ import annotations

from .idp_sync import sync_identity_provider
from .jobs import bootstrap, reconcile_identity_provider
from .organisations import create_organisation, directory, get_organisation, list_organisations, update_organisation
from .saga import (ProfileNotProvisioning, step_activate_profile, step_assign_roles, step_create_account,
                   step_mark_failed, step_remove_account)
from .users import create_user, get_user, list_users, me, set_status, update_user

__all__ = [
    "sync_identity_provider", "bootstrap", "reconcile_identity_provider", "create_organisation", "directory",
    "get_organisation", "list_organisations", "update_organisation", "ProfileNotProvisioning", "step_activate_profile",
    "step_assign_roles", "step_create_account", "step_mark_failed", "step_remove_account", "create_user", "get_user",
    "list_users", "me", "set_status", "update_user",
]
