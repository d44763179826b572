"""The EAD3 description of a bag (Encoded Archival Description 3, SAA): generated as a stream of text, one
`<c level="file">` per record file with a `<c level="item">` per item and a `<dao>` per component naming
its path in the bag, and validated with `xmlschema` against the EAD3 schema kept in this package
(xsd/ead3.xsd, release 1.1.1; see xsd/README.md). No AWS here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
import pathlib
from typing import Any, Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

NAMESPACE = "http://ead3.archivists.org/schema/"
SCHEMA = pathlib.Path(__file__).resolve().parents[1] / "xsd" / "ead3.xsd"
ACCESS_WORDS = {"open": "Open (공개)", "partly_open": "Partly open (부분공개)", "closed": "Closed (비공개)"}


@dataclass
class Component:
    component_id: str
    name: str
    path: str
    size: int


@dataclass
class ItemDescription:
    item_id: str
    components: list[Component] = field(default_factory=list)


@dataclass
class FileDescription:
    file_id: str
    title: str | None = None
    producing_unit: str | None = None
    class_code: str | None = None
    retention: str | None = None
    access: str | None = None
    closed_on: str | None = None
    items: dict[str, ItemDescription] = field(default_factory=dict)


def _id(prefix: str, value: str) -> str:
    """An xml:id-safe identifier (NCName) for an id that may start with a digit."""
    return prefix + "".join(c if c.isalnum() or c in "-._" else "_" for c in value)


def _text(tag: str, value: Any, attrs: str = "") -> str:
    return f"<{tag}{attrs}>{escape(str(value))}</{tag}>"


def header(meta: dict[str, Any]) -> str:
    """From <ead> to <dsc>: who made it, when, what the package is."""
    title = meta.get("title") or f"Transfer {meta['transfer_id']}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ead xmlns="{NAMESPACE}">'
        "<control>"
        + _text("recordid", meta["transfer_id"])
        + "<filedesc><titlestmt>" + _text("titleproper", title) + "</titlestmt></filedesc>"
        '<maintenancestatus value="new"/>'
        "<maintenanceagency>" + _text("agencycode", meta["sender_org"])
        + _text("agencyname", meta.get("sender_name") or meta["sender_org"]) + "</maintenanceagency>"
        "<maintenancehistory><maintenanceevent>"
        '<eventtype value="created"/>'
        + _text("eventdatetime", meta["created_at"], f" standarddatetime={quoteattr(meta['created_at'])}")
        + '<agenttype value="machine"/>' + _text("agent", "records management backend, transfer capability")
        + _text("eventdescription", f"Package of transfer {meta['transfer_id']} ({meta['kind']}) from "
                                    f"{meta['sender_org']} to {meta['receiver_org']}")
        + "</maintenanceevent></maintenancehistory>"
        "</control>"
        '<archdesc level="collection">'
        "<did>" + _text("unitid", meta["transfer_id"]) + _text("unittitle", title)
        + "<physdesc>" + escape(f"{meta.get('file_count', 0)} record files") + "</physdesc>"
        + "</did>"
        + "<custodhist>" + _text("p", f"Transferred ({meta['kind']}) from {meta['sender_org']} to "
                                      f"{meta['receiver_org']}.") + "</custodhist>"
        + "<dsc>"
    )


def file_component(f: FileDescription) -> str:
    """One record file (기록물철) and its items (기록물건) with their components as digital objects."""
    did = [_text("unitid", f.file_id), _text("unittitle", f.title or f.file_id)]
    if f.closed_on:
        did.append(_text("unitdate", f.closed_on[:4], ' unitdatetype="inclusive"'))
    if f.producing_unit:
        did.append("<origination><corpname>" + _text("part", f.producing_unit) + "</corpname></origination>")
    parts = [f'<c level="file" id={quoteattr(_id("file-", f.file_id))}>', "<did>", *did, "</did>"]
    if f.access:
        parts.append("<accessrestrict>" + _text("p", ACCESS_WORDS.get(f.access, f.access)) + "</accessrestrict>")
    if f.retention:
        parts.append("<appraisal>" + _text("p", f"Retention: {f.retention}") + "</appraisal>")
    if f.class_code:
        parts.append('<controlaccess><function>' + _text("part", f.class_code) + "</function></controlaccess>")
    for item in f.items.values():
        parts.append(f'<c level="item" id={quoteattr(_id("item-", f.file_id + "-" + item.item_id))}><did>')
        parts.append(_text("unitid", item.item_id))
        parts.append(_text("unittitle", f"Item {item.item_id}"))
        for c in item.components:
            parts.append(f'<dao daotype="borndigital" href={quoteattr(c.path)} linktitle={quoteattr(c.name)}/>')
        parts.append("</did></c>")
    parts.append("</c>")
    return "".join(parts)


FOOTER = "</dsc></archdesc></ead>\n"


def document(meta: dict[str, Any], files: Iterable[FileDescription]) -> Iterator[str]:
    """The whole description as text pieces (a writer streams them; nothing holds the whole document)."""
    yield header(meta)
    for f in files:
        yield file_component(f)
    yield FOOTER


def add_entry(files: dict[str, FileDescription], path: str, size: int) -> None:
    """Place one payload path (data/files/<file>/items/<item>/components/<component>/<name>) in the outline."""
    parts = path.split("/")
    if len(parts) < 8 or parts[1] != "files" or parts[3] != "items" or parts[5] != "components":
        return
    file = files.setdefault(parts[2], FileDescription(parts[2]))
    item = file.items.setdefault(parts[4], ItemDescription(parts[4]))
    item.components.append(Component(parts[6], "/".join(parts[7:]), path, size))


@lru_cache(maxsize=1)
def _schema():
    import xmlschema  # loaded once per process, when the first description is checked

    return xmlschema.XMLSchema(str(SCHEMA))


def errors(path: str, most: int = 5) -> list[str]:
    """What is invalid in the EAD3 document at `path` (read lazily: memory does not grow with it)."""
    import xmlschema

    resource = xmlschema.XMLResource(path, lazy=True)
    return [f"{e.path}: {e.reason}" for e, _ in zip(_schema().iter_errors(resource), range(most))]
