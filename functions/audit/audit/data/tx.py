"""Transactions, reads and pages of the audit table (see shared.storage.Table.access); audit publishes no events."""
from __future__ import annotations

from .tables import TABLE

Tx, read, page = TABLE.access()
