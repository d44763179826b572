"""The scheme's head and its versions: opening a draft, switching a draft to an imported node
set, and the two writes that bracket publishing (draft → publishing → published).

Every write is conditional: the head on the version that was read (one draft at a time, one
number per version), a version on its status and ETag, so a published version can never be
written again and a stale If-Match never lands.
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.model import Scheme, SchemeVersion
from ..domain.problems import VersionPublished
from .tables import SCHEME, VERSION_PREFIX, SchemeItem, VersionItem, org_key, version_key
from .tx import Tx, page, read

_SCHEME_CHANGED = Conflict("The scheme changed meanwhile (another draft was opened or a version published); "
                           "read it again.")


def published(number: int) -> VersionPublished:
    return VersionPublished(f"Scheme version {number} is published (or being published) and never changes; "
                            "open a new draft to change the scheme.")


# ---------------------------------------------------------------------- reads
def get_scheme(org_id: str, consistent: bool = False) -> Scheme | None:
    try:
        return read(SchemeItem.get, org_key(org_id), SCHEME, consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def get_version(org_id: str, number: int, consistent: bool = False) -> SchemeVersion | None:
    try:
        return read(VersionItem.get, org_key(org_id), version_key(number), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_versions(org_id: str, limit: int, cursor: str | None) -> tuple[list[SchemeVersion], str | None]:
    """Newest first."""
    return page(VersionItem, org_key(org_id), VERSION_PREFIX, limit, cursor, newest_first=True)


# --------------------------------------------------------------------- writes
def _head(tx: Tx, before: Scheme | None, after: Scheme) -> Tx:
    condition = SchemeItem.pk.does_not_exist() if before is None else SchemeItem.version == before.version
    return tx.put(SchemeItem.of(after), condition=condition, on_fail=_SCHEME_CHANGED)


def open_draft(before: Scheme | None, after: Scheme, draft: SchemeVersion, event: DomainEvent) -> None:
    """The new version (its node set already written) and the head that names it as the draft."""
    (_head(Tx(), before, after)
     .put(VersionItem.of(draft), condition=VersionItem.pk.does_not_exist(), on_fail=_SCHEME_CHANGED)
     .event(event).run())


def switch_set(before: SchemeVersion, after: SchemeVersion, event: DomainEvent) -> None:
    """An imported node set replaces the draft's in one write: the draft as it was read (If-Match)."""
    condition = ((VersionItem.status == "draft") & (VersionItem.version == before.version)
                 & (VersionItem.set_id == before.set_id))
    Tx().put(VersionItem.of(after), condition=condition, on_fail=lambda: _refused(before)).event(event).run()


def begin_publish(before: SchemeVersion, after: SchemeVersion) -> None:
    """The draft freezes (status publishing): every edit is refused from here on."""
    condition = (VersionItem.status == "draft") & (VersionItem.version == before.version)
    Tx().put(VersionItem.of(after), condition=condition, on_fail=lambda: _refused(before)).run()


def finish_publish(before: Scheme, after: Scheme, version: SchemeVersion, event: DomainEvent) -> None:
    """The last write of publishing: the version published, the head naming it current, and the event
    that tells consumers the version is complete."""
    (_head(Tx(), before, after)
     .put(VersionItem.of(version), condition=VersionItem.status == "publishing",
          on_fail=published(version.number))
     .event(event).run())


def _refused(before: SchemeVersion) -> Exception:
    now = get_version(before.org_id, before.number, consistent=True)
    if now is not None and now.status != "draft":
        return published(before.number)
    return stale("draft")
