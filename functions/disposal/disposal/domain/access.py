"""Who may do what in disposal.

- Archivists, admins and auditors see holds, review lists, steps and the committee of their organisation.
- Archivists and admins place and lift holds (a legal or administrative mandate names the authority).
- The producing unit's opinion (step 1) is recorded by an archivist or admin for the unit, naming the
  unit's official who gave it (identity has no unit memberships yet to check it against).
- Records professionals (기록물관리 전문요원, archivists) build lists by hand, review (step 2), name the
  committee's members, record its meetings and its decisions (step 3, with the votes).
"""
from __future__ import annotations

from shared.auth import Caller

READERS = ("archivist", "admin", "auditor")
HOLDERS = ("archivist", "admin")
UNIT_RECORDERS = ("archivist", "admin")
PROFESSIONALS = ("archivist",)


def reader_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="disposal reviews and holds")


def holder_org(caller: Caller) -> str:
    return caller.require_org(*HOLDERS, holdings="holds")


def unit_org(caller: Caller) -> str:
    return caller.require_org(*UNIT_RECORDERS, holdings="review lists")


def professional_org(caller: Caller) -> str:
    return caller.require_org(*PROFESSIONALS, holdings="review lists")
