"""`build.py import`: read sources, plan every article file, check them all, then write them at once.

The stages: read (one reader per format, sitegen/importers/) -> place (a path per article, matched
to what an earlier import wrote by `source:`) -> convert (links between imported articles, images
next to each article, HTML -> Markdown) -> check (every file is parsed back with the build's own
front-matter parser) -> commit (staged in a hidden folder of content/, then moved into place; a
failure moves back what was moved). `--dry-run` stops before the commit.
"""
from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Callable

from .articlefile import ArticleFields, article_text
from .config import SiteConfig
from .errors import Diagnostic
from .frontmatter import MAX_TOPICS, FrontMatterError, parse_alias, parse_front_matter, parse_topics, split
from .importers.body import ImageChoice, convert_body, normalise_url
from .importers.docx import read_docx
from .importers.feed import read_feed
from .importers.media import ImageNames, MediaFolder, check_image
from .importers.page import read_page
from .importers.plaintext import read_text
from .importers.record import DRAFT, FUTURE, Imported, ReadResult, Skipped, SourceError
from .importers.sources import Source, expand, read_source, sniff
from .importers.wxr import read_wxr
from .pages import SEARCH_ROOT
from .redirects import MAP_FILE, target_key
from .taxonomy import ARCHIVE_ROOT, AUTHORS_ROOT, LEVELS_ROOT, TOPICS_ROOT, UNITS_ROOT
from .load import CONTENT_DIR, decode, discover, read_source as read_article_bytes, slug_and_route
from .taxonomy import name_key
from .text import clean, collapse, eth_lines, slugify

_TAGS = re.compile(r"<[^>]*>")
READERS: dict[str, Callable[..., ReadResult]] = {
    "docx": read_docx, "wxr": read_wxr, "feed": read_feed, "page": read_page, "text": read_text,
}


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


@dataclass(frozen=True)
class Existing:
    """What content/ holds already: the articles' `source:` values and addresses, and their topics."""

    by_origin: dict[str, str]            # source: -> content-relative path
    routes: dict[str, str]               # article address -> content-relative path
    aliases: dict[str, str]              # redirects.target_key of each alias -> content-relative path
    topics: dict[str, str]               # name_key -> the spelling most used
    files: frozenset[str]                # every content-relative file


def scan_content(root: Path, config: SiteConfig) -> Existing:
    """Read the front matter of every article already in content/ (bodies are not converted)."""
    articles, others, _ = discover(root)
    by_origin, routes, counts, aliases = {}, {}, {}, {}
    levels = tuple(lv.key for lv in config.levels)
    for rel in articles:
        try:
            data = read_article_bytes(os.path.join(root, CONTENT_DIR, rel))
            text, _ = decode(data or b"")
            raw, _, _ = split(text)
        except (OSError, ValueError, FrontMatterError):
            continue
        fm, _ = parse_front_matter(raw, rel, levels, config.tz)
        if fm is None:
            continue
        if fm.origin:
            by_origin[fm.origin] = rel
        routes[slug_and_route(fm, rel, config)[1].path] = rel
        for alias in fm.aliases:
            aliases.setdefault(target_key(alias), rel)
        for topic in fm.topics:
            counts.setdefault(name_key(topic), {}).setdefault(topic, 0)
            counts[name_key(topic)][topic] += 1
    topics = {key: max(spellings, key=lambda s: (spellings[s], s)) for key, spellings in counts.items()}
    return Existing(by_origin, routes, aliases, topics, frozenset(articles) | frozenset(others))


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


def _canonical_topic(name: str, config: SiteConfig, existing: Existing) -> str:
    """A topic as the site spells it: through topic_aliases, else as its articles write it."""
    key = name_key(name)
    for alias, topic in config.topic_aliases.items():
        if name_key(alias) == key:
            return collapse(clean(topic))
    return existing.topics.get(key, name)


def _normalise(item: Imported, report: ImportReport) -> Imported:
    """Unicode NFC and the project's Vietnamese rules on every text of an item (Ð -> Đ said)."""
    texts = [item.title, item.html, item.summary, item.unit, *item.authors, *item.topics]
    if any(eth_lines(t) for t in texts):
        report.warnings.append(f'{item.where}: text: replaced "Ð" (U+00D0, Icelandic Eth) with "Đ" (U+0110)')
    one = lambda text: collapse(clean(text))   # noqa: E731
    return replace(item, title=one(item.title), html=clean(item.html), summary=one(item.summary), unit=one(item.unit),
                   authors=tuple(a for a in map(one, item.authors) if a),
                   topics=tuple(t for t in map(one, item.topics) if t))


@dataclass
class _Placed:
    item: Imported
    rel: str                # content-relative article file
    slug: str               # explicit slug for the front matter ("" when the title gives it)
    date: datetime
    has_time: bool
    replaces: bool


def place(items: list[Imported], options: ImportOptions, config: SiteConfig, existing: Existing,
          report: ImportReport, now: datetime) -> list[_Placed]:
    """A file for each item: content/YYYY/MM/<slug>.md, the month of its date in the portal's
    zone. An item imported before (same `source:`) is skipped, or rewritten in place with
    --force; two items that would take one address get distinct slugs."""
    taken_routes = dict(existing.routes)
    taken_files = set(existing.files)
    taken_aliases = dict(existing.aliases)
    route_keys = {target_key(address): rel for address, rel in taken_routes.items()}
    placed: list[_Placed] = []
    origins_seen: set[str] = set()
    for item in items:
        text = collapse(html.unescape(_TAGS.sub(" ", item.html)))
        if not item.title and not text:
            report.skipped.append(Skipped(item.where, "has neither a title nor any text"))
            continue
        if not item.title:
            words = text.split()
            item = replace(item, title=" ".join(words[:12]) + ("…" if len(words) > 12 else ""))
            report.warnings.append(f"{item.where}: title: the source gives none; its first words were used")
        if not text and not item.lead_image:
            report.warnings.append(f"{item.where}: body: the source has no text; the article is empty")
        if item.origin in origins_seen:
            report.skipped.append(Skipped(item.where, f"appears twice in the sources ({item.origin})"))
            continue
        origins_seen.add(item.origin)
        date, has_time = item.date, item.has_time
        if options.date is not None and (date is None or item.date_is_guess):
            date, has_time = options.date, True
        if date is None:
            date, has_time = now, True
            report.warnings.append(f"{item.where}: date: the source gives none; today's date was used "
                                   "(give --date, or edit the file)")
        if options.since is not None and date < options.since:
            report.skipped.append(Skipped(item.where, f"dated before --since ({date:%Y-%m-%d})"))
            continue
        if options.limit is not None and len(placed) >= options.limit:
            report.skipped.append(Skipped(item.where, f"past --limit {options.limit}"))
            continue
        local = date.astimezone(config.tz)
        folder = f"{local.year:04d}/{local.month:02d}"
        earlier = existing.by_origin.get(item.origin)
        if earlier is not None and not options.force:
            report.skipped.append(Skipped(item.where, f"imported before as {CONTENT_DIR}/{earlier} "
                                                      "(same source:); --force writes it again"))
            continue
        base = slugify(item.title)
        if earlier is not None:
            # rewritten where it is; its address stays what that file gave it
            taken_routes = {k: v for k, v in taken_routes.items() if v != earlier}
        for n in range(1, 1000):
            slug = base if n == 1 else slugify(f"{base}-{n}")
            rel = earlier if (earlier is not None and n == 1) else f"{folder}/{slug}.md"
            address = _route_of(config, slug, local)
            if (rel == earlier or rel not in taken_files) and address not in taken_routes:
                break
        taken_files.add(rel)
        taken_routes[address] = rel
        route_keys[target_key(address)] = rel
        kept = []
        for alias in item.aliases:
            try:
                alias = parse_alias(alias)
            except ValueError as err:
                report.warnings.append(f"{item.where}: aliases: the old address was not kept: {err}")
                continue
            key = target_key(alias)
            holder = taken_aliases.get(key)
            owner = (f"an alias of {CONTENT_DIR}/{holder}" if holder not in (None, rel)
                     else None if holder == rel else _listing_owner(key, route_keys, rel))
            if owner is not None:
                report.warnings.append(f"{item.where}: aliases: the old address {alias} was not kept: it is already "
                                       f"{owner}")
            else:
                taken_aliases[key] = rel
                kept.append(alias)
        item = replace(item, aliases=tuple(kept))
        placed.append(_Placed(item, rel, slug if slug != base else "", date, has_time, earlier is not None))
    return placed


# The first folders of the site's own pages: an old address there would hide one of them.
_SITE_FOLDERS = {r.strip("/") for r in (TOPICS_ROOT, LEVELS_ROOT, UNITS_ROOT, AUTHORS_ROOT, ARCHIVE_ROOT, SEARCH_ROOT,
                                        "assets/", "pagefind/", "admin/", "trang/")}


def _listing_owner(key: str, route_keys: dict[str, str], rel: str) -> str | None:
    """What already answers at an old address: an article (`rel` itself included), or a page of
    the site's own."""
    if key in route_keys:
        return f"the address of {CONTENT_DIR}/{route_keys[key]}"
    first = key.split("/", 1)[0]
    if first in _SITE_FOLDERS or key in ("", "feed.xml", "sitemap.xml", "robots.txt", "404.html", MAP_FILE) \
            or re.fullmatch(r"\d{4}(/\d{2})?(/trang/\d+)?", key):
        return "an address of the site's own pages (a listing, a feed, the search)"
    return None


def _route_of(config: SiteConfig, slug: str, local: datetime) -> str:
    from .urls import article_route
    return article_route(config.permalink, slug, local.year, local.month, local.day).path


def _image_chooser(options: ImportOptions, placed: _Placed, names: ImageNames, media: MediaFolder,
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


def convert(placed: list[_Placed], options: ImportOptions, config: SiteConfig, existing: Existing,
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


def _convert_one(p: _Placed, options: ImportOptions, config: SiteConfig, existing: Existing, report: ImportReport,
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
    topics = tuple(dict.fromkeys(_canonical_topic(t, config, existing) for t in (*item.topics, *options.topics)))
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


def commit(root: Path, files: list[Planned], force: bool) -> None:
    """Write every planned file into content/ or none: staged in content/.import-<pid>/ (same
    file system: each move is a rename), then moved into place; an error moves back what was
    moved and restores what --force replaced."""
    content = root / CONTENT_DIR
    staging = content / f".import-{os.getpid()}"
    backup = staging / ".replaced"
    moved: list[tuple[Path, Path | None]] = []
    try:
        for planned in files:
            target = staging / planned.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if planned.copy_from is not None:
                shutil.copyfile(planned.copy_from, target)
            elif planned.data is not None:
                target.write_bytes(planned.data)
            else:
                target.write_text(planned.text, encoding="utf-8", newline="\n")
        for planned in files:
            final = content / planned.rel
            kept = None
            if final.exists():
                if not (force and planned.replaces):
                    raise FileExistsError(f"{CONTENT_DIR}/{planned.rel}: file: appeared while importing; "
                                          "nothing was written")
                kept = backup / planned.rel
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, kept)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / planned.rel, final)
            moved.append((final, kept))
    except BaseException:
        for final, kept in reversed(moved):
            try:
                if kept is not None:
                    os.replace(kept, final)
                else:
                    final.unlink()
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
