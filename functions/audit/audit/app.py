"""Audit's HTTP routes."""
from __future__ import annotations

from shared.http import Api, Reply, RequestContext
from shared.pagination import PAGE

from . import logic, schemas

api = Api("audit")
app = api.app


@api.route("/audit/entities/{entity_id}/events", "GET", summary="Read an entity's history",
           response=schemas.ENTITY_HISTORY, query=(*PAGE, schemas.VERIFY), errors=(403, 404))
def entity_history(ctx: RequestContext, entity_id: str) -> Reply:
    """Auditors and admins of the entity's organisation: every domain event that named the entity, in order,
    each linked to the previous by a hash. With `verify=true` the whole chain is recomputed, compared with its
    head in the latest signed checkpoint, and the first broken link and the kind of tampering (`edited`,
    `rewritten`, `truncated`) are reported; a history that was deleted while a checkpoint knows it answers
    410 `history-deleted` (kind `deleted`), not 404. Without `verify` the answer comes from the table alone."""
    return Reply(logic.entity_history(ctx.require_caller(), entity_id, ctx.query["limit"], ctx.query["cursor"],
                                      ctx.query["verify"] == "true"))


handler = api.lambda_handler()
