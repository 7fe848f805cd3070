"""`build.py import`: read sources, plan every article file, check them all, then write them at once.

The stages: read (one reader per format, sitegen/importers/) -> place (a path per article, matched
to what an earlier import wrote by `source:`) -> convert (links between imported articles, images
next to each article, HTML -> Markdown) -> check (every file is parsed back with the build's own
front-matter parser) -> commit (staged in a hidden folder of content/, then moved into place; a
failure moves back what was moved). `--dry-run` stops before the commit.
"""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Callable

from .articlefile import ArticleFields, article_text
from .config import SiteConfig
from .errors import Diagnostic
from .frontmatter import MAX_TOPICS, FrontMatterError, parse_front_matter, parse_topics, split
from .importers.body import ImageChoice, convert_body, normalise_url
from .importers.commit import commit
from .importers.docx import read_docx
from .importers.feed import read_feed
from .importers.media import ImageNames, MediaFolder, check_image
from .importers.page import read_page
from .importers.place import Existing, Placed, canonical_topic, place, scan_content
from .importers.plaintext import read_text
from .importers.record import (DRAFT, FUTURE, ImportOptions, ImportReport, Imported, Planned, ReadResult, Skipped,
                               SourceError)
from .importers.sources import expand, read_source, sniff
from .importers.wxr import read_wxr
from .load import CONTENT_DIR
from .text import clean, collapse, eth_lines, slugify

READERS: dict[str, Callable[..., ReadResult]] = {
    "docx": read_docx, "wxr": read_wxr, "feed": read_feed, "page": read_page, "text": read_text,
}


def read_all(options: ImportOptions, tz: tzinfo, report: ImportReport) -> list[Imported]:
    """Every article of every source, in the order given (folders sorted)."""
    names, missing, left_out = expand(list(options.sources))
    report.skipped += [Skipped(name, "not a kind of file import reads (name it on the command line to try)")
                       for name in left_out]
    for problem in missing:
        path, _, message = problem.partition(": file: ")
        report.failed.append(Diagnostic(path, "file", message))
    found: list[Imported] = []
    for name in names:
        try:
            source = read_source(name)
            kind = options.format or sniff(source)
            if kind == "doc":
                raise SourceError("is an old binary Word file (.doc): open it in Word or LibreOffice and save it "
                                  "as .docx")
            if kind not in READERS:
                raise SourceError("is a zip archive that is not a Word document")
            reader = READERS[kind]
            result = reader(source, tz, options.pages) if kind == "wxr" else reader(source, tz)
        except SourceError as err:
            report.failed.append(Diagnostic(name, "file", str(err)))
            continue
        except MemoryError:
            report.failed.append(Diagnostic(name, "file", "is too large to read on this machine"))
            continue
        report.warnings += [f"{name}: {w}" for w in result.warnings]
        report.skipped += result.skipped
        found += result.articles
    return found


def _normalise(item: Imported, report: ImportReport) -> Imported:
    """Unicode NFC and the project's Vietnamese rules on every text of an item (Ð -> Đ said)."""
    texts = [item.title, item.html, item.summary, item.unit, *item.authors, *item.topics]
    if any(eth_lines(t) for t in texts):
        report.warnings.append(f'{item.where}: text: replaced "Ð" (U+00D0, Icelandic Eth) with "Đ" (U+0110)')
    one = lambda text: collapse(clean(text))   # noqa: E731
    return replace(item, title=one(item.title), html=clean(item.html), summary=one(item.summary), unit=one(item.unit),
                   authors=tuple(a for a in map(one, item.authors) if a),
                   topics=tuple(t for t in map(one, item.topics) if t))


def _image_chooser(options: ImportOptions, placed: Placed, names: ImageNames, media: MediaFolder,
                   files: list[Planned], report: ImportReport) -> Callable[[str, str], ImageChoice]:
    """The function that decides each image of one article (see body.convert_body)."""
    folder = placed.rel.rsplit("/", 1)[0] + "/anh"
    article_folder = placed.rel.rsplit("/", 1)[0]
    counter = [0]

    def choose(address: str, alt: str) -> ImageChoice:
        embedded = placed.item.embedded.get(address)
        data, copy_from, stem = None, None, ""
        if embedded is not None:
            data = embedded.data
            counter[0] += 1
            stem = f"{slugify(placed.item.title, 50)}-{counter[0]}"
        elif address.startswith("data:"):
            return ImageChoice(note="an image written into the page's code (a data: address) was left out")
        else:
            found = media.find(address)
            if found is not None:
                try:
                    data = found.read_bytes()
                except OSError as err:
                    return ImageChoice(address, remote=True, note=f"{found}: cannot be read ({err.strerror})")
                copy_from, stem = found, found.stem
            elif address.startswith(("http://", "https://")):
                return ImageChoice(address, remote=True)
            else:
                return ImageChoice(note=f"image {address!r} was left out: its address is relative and the "
                                        "source does not say to what (give --media DIR)")
        extension, problem = check_image(data)
        if extension is None:
            where = copy_from or address
            if address.startswith(("http://", "https://")):
                return ImageChoice(address, remote=True, note=f"image {where} {problem}; its old address was kept")
            return ImageChoice(note=f"image {where} {problem}; it was left out")
        rel, new = names.place(folder, stem or "anh", extension, data)
        if new:
            files.append(Planned(rel, data=None if copy_from else data, copy_from=copy_from))
        return ImageChoice(os.path.relpath(rel, article_folder).replace(os.sep, "/"))

    return choose


def convert(placed: list[Placed], options: ImportOptions, config: SiteConfig, existing: Existing,
            report: ImportReport) -> None:
    """Each placed item as the text of its file, its images planned; every file checked."""
    link_map: dict[str, str] = {}
    for p in placed:
        for url in p.item.old_urls:
            if url.startswith(("http://", "https://")):
                link_map[normalise_url(url)] = "/" + p.rel
    names = ImageNames(options.root / CONTENT_DIR)
    media = MediaFolder(options.media)
    levels = tuple(lv.key for lv in config.levels)
    level = options.level or levels[0]
    for p in placed:
        state = names.checkpoint()
        try:
            if not _convert_one(p, options, config, existing, report, link_map, names, media, levels, level):
                names.rollback(state)
        except Exception as err:  # noqa: BLE001 - one broken item must not stop a thousand good ones
            names.rollback(state)
            report.failed.append(Diagnostic(p.item.where, "import", f"internal error ({type(err).__name__}: {err}); "
                                            "this item was not imported: please report it"))


def _convert_one(p: Placed, options: ImportOptions, config: SiteConfig, existing: Existing, report: ImportReport,
                 link_map: dict[str, str], names: ImageNames, media: MediaFolder, levels: tuple[str, ...],
                 level: str) -> bool:
    """One placed item as the text of its file, with its images planned (see convert); False
    when it cannot be written."""
    item = p.item
    files: list[Planned] = []
    choose = _image_chooser(options, p, names, media, files, report)
    body = convert_body(item.html, item.base_url, link_map, choose, item.captions, alt_fallback=f"Ảnh: {item.title}",
                        own="/" + p.rel)
    image = image_alt = image_caption = ""
    if item.lead_image:
        lead = choose(item.lead_image, item.lead_alt)
        if lead.note:
            body.notes.append(lead.note)
        if lead.src and (not lead.remote or lead.src.startswith("https://")):
            image, image_alt, image_caption = lead.src, item.lead_alt or item.lead_caption or f"Ảnh: {item.title}", item.lead_caption
            if lead.remote:
                body.remote.append(lead.src)
        elif lead.src:
            body.notes.append(f"its featured image {lead.src} is not on https and was left out of image:")
    topics = tuple(dict.fromkeys(canonical_topic(t, config, existing) for t in (*item.topics, *options.topics)))
    if len(topics) > MAX_TOPICS:
        body.notes.append(f"{len(topics)} categories and tags; the first {MAX_TOPICS} were kept as topics")
        topics = topics[:MAX_TOPICS]
    authors = item.authors or ((options.author,) if options.author else ())
    fields = ArticleFields(
        title=item.title, date=p.date, level=level, has_time=p.has_time, authors=authors,
        unit=item.unit or options.unit, topics=parse_topics(list(topics)), summary=item.summary,
        image=image, image_alt=image_alt, image_caption=image_caption, slug=p.slug, source=item.origin,
        aliases=item.aliases, draft=item.status == DRAFT)
    text = article_text(fields, body.markdown or "", config.tz)
    problems = _check(text, p.rel, config, levels)
    if problems:
        report.skipped.append(Skipped(item.where, "could not be written as a valid article: " + "; ".join(problems)))
        return False
    status = {DRAFT: "draft", FUTURE: "scheduled"}.get(item.status, "")
    report.imported.append((f"{CONTENT_DIR}/{p.rel}", item.where, status))
    report.files.append(Planned(p.rel, text=text, replaces=p.replaces))
    report.files += files
    shown = f"{CONTENT_DIR}/{p.rel}"
    report.warnings += [f"{item.where}: {note}" for note in (*item.notes, *body.notes)]
    report.remote += [(shown, url) for url in dict.fromkeys(body.remote)]
    return True


def _check(text: str, rel: str, config: SiteConfig, levels: tuple[str, ...]) -> list[str]:
    """The build's own front-matter checks on a planned file: the errors, as text."""
    try:
        raw, _, _ = split(text)
    except FrontMatterError as err:
        return [str(err)]
    fm, found = parse_front_matter(raw, f"{CONTENT_DIR}/{rel}", levels, config.tz)
    return [f"{d.field}: {d.message}" for d in found if d.severity == "error"] or ([] if fm else ["invalid"])


def run_import(options: ImportOptions, config: SiteConfig, now: datetime) -> ImportReport:
    """Read, place, convert and check everything; write it unless --dry-run. Never raises for
    bad input: what could not be read is in the report."""
    report = ImportReport()
    items = [_normalise(item, report) for item in read_all(options, config.tz, report)]
    existing = scan_content(options.root, config)
    placed = place(items, options, config, existing, report, now)
    convert(placed, options, config, existing, report)
    if not options.dry_run and report.files:
        commit(options.root, report.files, options.force)
    return report
