"""Transfer's own refusals, each with a stable problem `type` (part of the API contract), and the errors its
saga steps raise (their class names are what the state machines see)."""
from __future__ import annotations

from shared.problems import Problem


class FileHeld(Problem):
    """A hold applies to a file: it cannot be transferred while the hold is active. `errors[]` names each."""

    slug = "file-held"
    title = "File under hold"
    status = 409


class AccessReviewStale(Problem):
    """A file's access classification (공개구분) was not reviewed in the last 5 years: reclassify it before the
    transfer (공공기록물법 art. 35). `errors[]` names each file and its last review."""

    slug = "access-review-stale"
    title = "Access review stale"
    status = 409


class FilesNotTransferable(Problem):
    """Some files cannot be transferred (unknown, not closed, already gone, in another transfer, of a retention
    the kind does not take); `errors[]` names each."""

    slug = "files-not-transferable"
    title = "Files not transferable"
    status = 422


class UnknownOrganisation(Problem):
    """The receiving organisation is not one transfer knows of (identity's events), or cannot receive this kind."""

    slug = "unknown-organisation"
    title = "Unknown organisation"
    status = 422


class TransferStateConflict(Problem):
    """The transfer is not in the status this action needs (send a draft, inspect and accept while it awaits
    inspection)."""

    slug = "transfer-state-conflict"
    title = "Transfer state conflict"
    status = 409


class InspectionIncomplete(Problem):
    """Acceptance needs the receiver's word on every file; `errors[]` names the files not inspected yet."""

    slug = "inspection-incomplete"
    title = "Inspection incomplete"
    status = 409


PROBLEMS = (FileHeld, AccessReviewStale, FilesNotTransferable, UnknownOrganisation, TransferStateConflict,
            InspectionIncomplete)


# ------------------------------------------------------ saga step refusals (fail fast, no retry)
class StepRefused(Exception):
    """A business refusal of a whole step: the saga compensates. `slug` is the problem kept on the transfer."""

    slug = "transfer-failed"


class FilesRefused(StepRefused):
    """Records or stacks refused files of a page (each named)."""

    slug = "files-refused"


class HeldSinceCreated(StepRefused):
    """A hold landed on files after the transfer was drafted."""

    slug = "file-held"


class ComponentCorrupt(StepRefused):
    """A component's bytes no longer match its recorded SHA-256 (at the sender, while packaging)."""

    slug = "component-corrupt"


class BagInvalid(StepRefused):
    """The bag fails verification: a file missing, extra or with another checksum (named)."""

    slug = "bag-invalid"


class DescriptionInvalid(StepRefused):
    """The generated EAD3 description does not validate against the EAD3 schema."""

    slug = "ead3-invalid"
