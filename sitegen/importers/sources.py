"""Sources: the files and addresses given to `build.py import`, read with limits, and their format."""
from __future__ import annotations

import gzip
import io
import os
import re
import zlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .record import SourceError

MAX_SOURCE_BYTES = 200 * 1024 * 1024      # an export of a big portal is tens of MB; more is a mistake
FETCH_TIMEOUT = 30
USER_AGENT = "congdoan-portal-import/1 (+build.py import)"
FORMATS = ("docx", "wxr", "feed", "page", "text")
_SUFFIXES = {".docx": "docx", ".xml": None, ".rss": "feed", ".atom": "feed", ".html": "page", ".htm": "page",
             ".txt": "text", ".md": "text", ".doc": "doc"}
_SKIP_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".css", ".js", ".json", ".zip", ".info",
                  ".native", ".gz", ".ico", ".mp4", ".mp3"}


@dataclass(frozen=True)
class Source:
    """The bytes of one source and where they came from."""

    name: str                   # what messages call it: the path as given, or the URL
    data: bytes
    url: str = ""               # the address it was fetched from, if any
    content_type: str = ""      # the server's Content-Type, if any
    file_name: str = ""         # the file's own name ("thong-bao.docx"), for `source:`


IMPORTABLE = (".docx", ".doc", ".xml", ".rss", ".atom", ".html", ".htm", ".xhtml", ".txt", ".gz")


def expand(arguments: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The sources named on the command line, folders walked (sorted; hidden files left out).
    A file named on the command line is read whatever its name; in a folder, only the kinds of
    files import reads (IMPORTABLE): the others are listed. Returns (sources, problems, left out)."""
    found, problems, left = [], [], []
    for argument in arguments:
        if re.match(r"^https?://", argument, re.IGNORECASE):
            found.append(argument)
            continue
        path = Path(argument)
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith((".", "~$")):
                        continue
                    if Path(name).suffix.lower() not in IMPORTABLE:
                        if Path(name).suffix.lower() not in _SKIP_SUFFIXES:
                            left.append(os.path.join(folder, name))
                        continue
                    found.append(os.path.join(folder, name))
        elif path.is_file():
            found.append(argument)
        else:
            problems.append(f"{argument}: file: not found")
    return found, problems, left


def read_source(name: str) -> Source:
    """Read a file or fetch an http(s) address, refusing anything over MAX_SOURCE_BYTES."""
    if re.match(r"^https?://", name, re.IGNORECASE):
        return _fetch(name)
    try:
        size = os.path.getsize(name)
        if size > MAX_SOURCE_BYTES:
            raise SourceError(f"is {size // 1024 // 1024} MB; sources over {MAX_SOURCE_BYTES // 1024 // 1024} MB "
                              "are refused (split the export)")
        with open(name, "rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as err:
        raise SourceError(f"cannot be read: {err.strerror}") from None
    return _gunzipped(Source(name, data, file_name=Path(name).name))


def _gunzipped(source: Source) -> Source:
    """A gzip-compressed source (a page saved as .html.gz), unpacked within MAX_SOURCE_BYTES."""
    if not source.data.startswith(b"\x1f\x8b"):
        return source
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(source.data)) as packed:
            data = packed.read(MAX_SOURCE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise SourceError(f"is a broken gzip file ({err})") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"unpacks to more than {MAX_SOURCE_BYTES // 1024 // 1024} MB (refused)")
    name = source.file_name[:-3] if source.file_name.endswith(".gz") else source.file_name
    return Source(source.name, data, source.url, source.content_type, name)


def _fetch(url: str) -> Source:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:   # noqa: S310 - http(s) only
            final = response.geturl()
            if not re.match(r"^https?://", final, re.IGNORECASE):
                raise SourceError(f"redirected to {final}, which is not an http(s) address")
            data = response.read(MAX_SOURCE_BYTES + 1)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        raise SourceError(f"the server answered {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise SourceError(f"cannot be fetched: {reason}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB")
    name = final.rstrip("/").rsplit("/", 1)[-1] or final
    return _gunzipped(Source(url, data, url=final, content_type=content_type, file_name=name))


def sniff(source: Source) -> str:
    """The format of a source, from its content (the extension only breaks a tie): "docx",
    "wxr", "feed", "page", "text", or "doc" (an old binary Word file, which is refused)."""
    data = source.data
    if data.startswith(b"PK\x03\x04"):
        named = source.file_name.lower().endswith(".docx")
        return "docx" if named or b"word/" in data[:200_000] or b"[Content_Types].xml" in data[:200_000] else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    head = _text_head(data)
    lowered = head.lower()
    if "<rss" in lowered or "<feed" in lowered or "<rdf:rdf" in lowered:
        if "wordpress.org/export/" in lowered or "<wp:wxr_version" in lowered:
            return "wxr"
        if not re.search(r"<html[\s>]", lowered[: lowered.find("<rss") if "<rss" in lowered else None]):
            return "feed"
    if re.search(r"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s|<article[\s>]|<p[\s>]|<div[\s>]",
                 lowered):
        return "page"
    if "<?xml" in lowered[:200] and "wordpress.org/export/" in lowered:
        return "wxr"
    suffix = _SUFFIXES.get(Path(source.file_name).suffix.lower())
    if suffix is not None and suffix != "doc":
        return suffix
    if "xml" in source.content_type and "html" not in source.content_type:
        return "feed"
    return "text"


def _text_head(data: bytes, size: int = 8192) -> str:
    head = data[:size]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    return head.decode("utf-8", "replace")
