"""What flows between the stages of an import: the records readers give, the options, the plan, the report."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import Diagnostic

PUBLISH, DRAFT, FUTURE = "publish", "draft", "future"


class SourceError(Exception):
    """A source that cannot be read at all (a broken file, a refused archive, an unsafe XML
    document): the report names it and the import exits with status 1."""


@dataclass(frozen=True)
class Embedded:
    """An image that came inside the source (a Word file's media): its bytes and a name hint."""

    data: bytes
    content_type: str
    name: str = ""


@dataclass(frozen=True)
class Imported:
    """One article as a reader found it, before it has a file.

    `html` is the body as the source had it (not yet sanitised or converted); its images are
    addresses: http(s) URLs, paths of the old site, or keys of `embedded`. `where` names the
    item in messages ("export.xml: post 123 «Tiêu đề»").
    """

    where: str
    title: str
    html: str
    origin: str                                  # `source:` (the URL or file name, with the old id)
    date: datetime | None = None                 # aware; None: the source gave none
    has_time: bool = True
    date_is_guess: bool = False                  # from file properties or the text: --date wins over it
    authors: tuple[str, ...] = ()
    unit: str = ""
    topics: tuple[str, ...] = ()
    summary: str = ""
    status: str = PUBLISH                        # PUBLISH, DRAFT or FUTURE
    aliases: tuple[str, ...] = ()                # old addresses (site paths) of the article
    old_urls: tuple[str, ...] = ()               # addresses other imported articles may link it by
    base_url: str = ""                           # what relative links and images are relative to
    embedded: dict[str, Embedded] = field(default_factory=dict, hash=False)
    captions: dict[str, str] = field(default_factory=dict, hash=False)   # image address -> caption
    lead_image: str = ""                         # address of the lead photo (WordPress's featured image)
    lead_alt: str = ""
    lead_caption: str = ""
    notes: tuple[str, ...] = ()                  # what the reader could not keep, for the report


@dataclass(frozen=True)
class Skipped:
    """An item of a source that is deliberately not imported, and why."""

    where: str
    reason: str


@dataclass
class ReadResult:
    """What one source gave: articles, items skipped, and warnings about the source itself."""

    articles: list[Imported] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOptions:
    """What the command line asked for."""

    root: Path
    sources: tuple[str, ...]
    level: str = ""
    unit: str = ""
    author: str = ""
    topics: tuple[str, ...] = ()
    date: datetime | None = None
    media: Path | None = None
    since: datetime | None = None
    limit: int | None = None
    format: str = ""
    pages: bool = False
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class Planned:
    """One file the import writes: an article (`text`) or an image (`data`, or a file to copy)."""

    rel: str                      # content-relative
    text: str = ""
    data: bytes | None = None
    copy_from: Path | None = None
    replaces: bool = False        # --force over an earlier import of the same source


@dataclass
class ImportReport:
    """What an import did (or, with --dry-run, would do)."""

    imported: list[tuple[str, str, str]] = field(default_factory=list)    # (file, where, status)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    remote: list[tuple[str, str]] = field(default_factory=list)          # (file, image address)
    failed: list[Diagnostic] = field(default_factory=list)               # sources that could not be read
    files: list[Planned] = field(default_factory=list)
