"""Transactions and reads of the audit table (see shared.transactions); audit publishes no events."""
from __future__ import annotations

from functools import partial

from shared import transactions

from .tables import TABLE


class Tx(transactions.Tx):
    connection = staticmethod(TABLE.connection)
    store = "audit"


read = partial(transactions.read, "audit")
