"""PynamoDB plumbing shared by capabilities.

PynamoDB gives every model class its own connection and botocore client; a cold
client costs tens of milliseconds. A capability's item types all live in one table,
so they share one client (`one_client`), also used for its transactions.
"""
from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.models import Model


def one_client(*models: type[Model]) -> Connection:
    shared = models[0]._get_connection().connection
    for model in models[1:]:
        model._get_connection().connection = shared
    return shared
