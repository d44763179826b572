"""Transactions and reads of the circulation table (see shared.transactions)."""
from __future__ import annotations

from functools import partial

from shared import transactions

from .tables import TABLE, OutboxItem


class Tx(transactions.Tx):
    connection = staticmethod(TABLE.connection)
    outbox_item = OutboxItem
    store = "circulation"


read = partial(transactions.read, "circulation")
