"""Transactions, reads and pages of the transfer table (see shared.storage.Table.access)."""
from __future__ import annotations

from .tables import TABLE, OutboxItem

Tx, read, page = TABLE.access(OutboxItem)
