"""What every transfer use case shares: its events and their subjects, refusals."""
from __future__ import annotations

from shared.events import EventFactory, Subject
from shared.validation import refuse_if  # noqa: F401 (the use cases import it from here)

event = EventFactory("transfer")


def transfer_subject(org_id: str, transfer_id: str) -> Subject:
    return Subject("transfer", transfer_id, org_id)


def file_subject(org_id: str, file_id: str) -> Subject:
    """Events about a file name it as records does, so its history shows the transfer."""
    return Subject("record_file", file_id, org_id)


def subjects(transfer, file_ids=()) -> list[Subject]:
    """The transfer on both sides, and the files named (in the sender's organisation)."""
    found = [transfer_subject(transfer.sender_org, transfer.id)]
    if transfer.receiver_org != transfer.sender_org:
        found.append(transfer_subject(transfer.receiver_org, transfer.id))
    return found + [file_subject(transfer.sender_org, f) for f in file_ids]
