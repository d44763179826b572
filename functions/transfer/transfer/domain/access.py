"""Who may do what in transfer.

- Archivists, admins and auditors of the sender or the receiver see a transfer, its files and the due lists
  of their organisation; anyone else finds nothing (404).
- Records professionals (기록물관리 전문요원, archivists) of the sender draft, send and cancel transfers and
  make exports; those of the receiver inspect (검수) each file and accept.
"""
from __future__ import annotations

from shared.auth import Caller

READERS = ("archivist", "admin", "auditor")
PROFESSIONALS = ("archivist",)


def reader_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="transfers")


def professional_org(caller: Caller) -> str:
    return caller.require_org(*PROFESSIONALS, holdings="transfers")
