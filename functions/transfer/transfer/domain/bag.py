"""BagIt (RFC 8493) as text: the tag files of a bag and the checks of a verification (no AWS here).

A bag here is `bagit.txt`, `bag-info.txt` (with Payload-Oxum: octets.count of the payload),
`manifest-sha256.txt` (one line per payload file: its SHA-256, two spaces, its path under `data/`),
`ead3.xml` (the EAD3 description, a tag file) and `tagmanifest-sha256.txt` (the SHA-256 of every other tag
file). Paths are percent-encoded for CR, LF and % as RFC 8493 §2.1.3 asks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
BAG_INFO = "bag-info.txt"
BAGIT = "bagit.txt"
DESCRIPTION = "ead3.xml"
TAG_FILES = (BAGIT, BAG_INFO, MANIFEST, DESCRIPTION)  # what the tag manifest lists


@dataclass(frozen=True)
class Entry:
    """One payload file: its path in the bag (data/...), SHA-256 (hex) and size in bytes."""

    path: str
    sha256: str
    size: int


def encode_path(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def manifest_line(sha256: str, path: str) -> str:
    return f"{sha256}  {encode_path(path)}\n"


def parse_manifest_line(line: str) -> tuple[str, str]:
    """(sha256, path) of one manifest line."""
    sha256, _, path = line.rstrip("\r\n").partition(" ")
    return sha256.lower(), decode_path(path.lstrip(" ").lstrip("*"))


def payload_oxum(octets: int, count: int) -> str:
    return f"{octets}.{count}"


def bag_info(fields: Iterable[tuple[str, str]]) -> str:
    """bag-info.txt: one `Label: value` line each (values on one line)."""
    return "".join(f"{label}: {' '.join(str(value).split())}\n" for label, value in fields)


def parse_bag_info(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            found.setdefault(label.strip(), value.strip())
    return found


def entry_error(path: str, expected_sha: str, found: tuple[str, int] | None) -> str | None:
    """What is wrong with one payload file, or None: missing from the bag, or another checksum."""
    if found is None:
        return f"{path}: listed in the manifest, missing from the bag"
    sha256, _ = found
    if sha256 != expected_sha:
        return f"{path}: SHA-256 {sha256} in the bag, {expected_sha} in the manifest"
    return None


def safe_path(path: str) -> bool:
    """A payload path stays inside data/ (no absolute paths, no `..`)."""
    parts = path.split("/")
    return path.startswith("data/") and ".." not in parts and "" not in parts[1:] and not path.startswith("/")
