"""Word (.docx) reader: mammoth with a style map that knows localised Word, the archive checked first."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone, tzinfo
from pathlib import PurePosixPath

import defusedxml.ElementTree as SafeET
import lxml.html
import mammoth
from lxml import etree

from ..text import clean, collapse
from . import legacy
from .captions import attach_captions, plain_text
from .htmltree import text_of
from .record import Embedded, Imported, ReadResult, SourceError
from .sources import Source
from .vietnamese import byline, parse_printed_date

# A .docx is a zip archive: what it may unpack to is bounded before mammoth reads it, so a small
# file cannot expand to gigabytes (an "archive bomb") or hold tens of thousands of entries.
MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200            # unpacked / packed, for entries over 1 MB unpacked: Word's XML packs ~10:1
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}
# Styles Word names the same in every language (styles.xml keeps the English name of built-in
# styles; only the displayed name is translated) and what they become.
STYLE_MAP = """
p[style-name='Title'] => h1.doc-title:fresh
p[style-name='Subtitle'] => p.doc-subtitle:fresh
p[style-name='Author'] => p.doc-author:fresh
p[style-name='Date'] => p.doc-date:fresh
p[style-name='Abstract'] => p.doc-abstract:fresh
p[style-name='caption'] => p.doc-caption:fresh
p[style-name='Caption'] => p.doc-caption:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name='Block Text'] => blockquote > p:fresh
"""
_W = "{*}"


def safe_archive(data: bytes, name: str) -> bytes:
    """The archive rebuilt from entries whose unpacked size was checked while unpacking them
    (the sizes an archive declares can lie). Raise SourceError for anything past the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise SourceError("is not a Word .docx file (its zip archive is broken)") from None
    if len(entries) > MAX_ENTRIES:
        raise SourceError(f"holds {len(entries)} files; a Word file has a few dozen (refused as unsafe)")
    out = io.BytesIO()
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as rebuilt:
        for entry in entries:
            if entry.is_dir():
                continue
            if entry.file_size > MAX_ENTRY_BYTES or (
                    entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)):
                raise SourceError(f"holds {entry.filename!r}, which would unpack to {entry.file_size // 1024 // 1024} MB "
                                  f"from {entry.compress_size // 1024} KB: refused as an archive bomb")
            try:
                with archive.open(entry) as handle:
                    content = handle.read(MAX_ENTRY_BYTES + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as err:
                raise SourceError(f"cannot be unpacked ({entry.filename}: {err})") from None
            total += len(content)
            if len(content) > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES:
                raise SourceError("unpacks to more than it declares or than a Word file can hold: "
                                  "refused as an archive bomb")
            rebuilt.writestr(entry.filename, content)
    return out.getvalue()


def _xml(archive: zipfile.ZipFile, name: str):
    """An XML part of the package, parsed without DTDs or entities (None when absent)."""
    try:
        return SafeET.fromstring(archive.read(name), forbid_dtd=True)
    except KeyError:
        return None
    except Exception as err:  # noqa: BLE001 - defusedxml raises several kinds
        raise SourceError(f"has a broken {name} ({type(err).__name__})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el, name: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    return None


def _style_map(styles) -> str:
    """STYLE_MAP, plus a heading for every paragraph style with an outline level (what makes a
    heading a heading in any language), followed through basedOn."""
    if styles is None:
        return STYLE_MAP
    by_id, extra = {}, []
    for style in styles.iter():
        if _local(style.tag) == "style" and _attr(style, "type") == "paragraph":
            name = next((_attr(c, "val") for c in style if _local(c.tag) == "name"), None)
            based = next((_attr(c, "val") for c in style if _local(c.tag) == "basedOn"), None)
            level = next((_attr(o, "val") for o in style.iter() if _local(o.tag) == "outlineLvl"), None)
            by_id[_attr(style, "styleId")] = (name, based, level)
    for style_id, (name, based, level) in by_id.items():
        seen = {style_id}
        while level is None and based in by_id and based not in seen:
            seen.add(based)
            level = by_id[based][2]
        if name and level is not None and level.isdigit() and int(level) < 6 and "'" not in name:
            extra.append(f"p[style-name='{name}'] => h{int(level) + 1}:fresh")
    return STYLE_MAP + "\n".join(extra)


def _paragraphs(document) -> list[tuple[str, bool, bool, list[str]]]:
    """The body's paragraphs: (text, right-aligned, all bold, fonts)."""
    found = []
    if document is None:
        return found
    for p in document.iter():
        if _local(p.tag) != "p":
            continue
        texts, bold_runs, fonts, right = [], [], [], False
        for el in p.iter():
            local = _local(el.tag)
            if local == "jc" and _attr(el, "val") in ("right", "end"):
                right = True
            elif local == "r":
                text = "".join(t.text or "" for t in el.iter() if _local(t.tag) == "t")
                if text.strip():
                    texts.append(text)
                    bold = next((b for b in el.iter() if _local(b.tag) == "b"), None)
                    bold_runs.append(bold is not None and _attr(bold, "val") not in ("0", "false"))
            elif local == "rFonts":
                fonts.extend(v for k, v in el.attrib.items() if _local(k) in ("ascii", "hAnsi"))
        found.append(("".join(texts), right, bool(bold_runs) and all(bold_runs), fonts))
    return found


def _created(core, tz: tzinfo) -> datetime | None:
    if core is None:
        return None
    for el in core.iter():
        if _local(el.tag) == "created" and el.text:
            try:
                value = datetime.fromisoformat(el.text.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
            return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(tz)
    return None


def _fonts_by_style(styles) -> tuple[dict[str, str], str]:
    """The font each style gives its text (through basedOn), and the document's default font."""
    own: dict[str, tuple[str | None, str | None]] = {}
    default = ""
    if styles is None:
        return {}, default
    for el in styles.iter():
        if _local(el.tag) == "rPrDefault":
            fonts = next((f for f in el.iter() if _local(f.tag) == "rFonts"), None)
            default = (_attr(fonts, "ascii") or "") if fonts is not None else ""
        elif _local(el.tag) == "style":
            fonts = next((f for f in el.iter() if _local(f.tag) == "rFonts"), None)
            based = next((_attr(c, "val") for c in el if _local(c.tag) == "basedOn"), None)
            own[_attr(el, "styleId") or ""] = ((_attr(fonts, "ascii") if fonts is not None else None), based)
            if _attr(el, "type") == "paragraph" and _attr(el, "default") in ("1", "true"):
                own[""] = own[_attr(el, "styleId") or ""]       # the style of a paragraph that names none
    resolved: dict[str, str] = {}
    for style_id in own:
        seen, current, font = set(), style_id, None
        while current in own and current not in seen and font is None:
            seen.add(current)
            font, current = own[current]
        resolved[style_id] = font or ""
    return resolved, default


def convert_legacy_runs(document, styles) -> set[str]:
    """Convert to Unicode, in the XML itself, the text of every run set in an old Vietnamese font
    (.VnTime and its kin are TCVN3, VNI-Times and its kin VNI): run by run, so that Unicode text
    beside it is left alone. Capitals fonts (.VnTimeH) give capitals. Returns the encodings met."""
    by_style, default = _fonts_by_style(styles)
    found: set[str] = set()
    for p in document.iter():
        if _local(p.tag) != "p":
            continue
        p_style = next((_attr(s, "val") for s in p.iter() if _local(s.tag) == "pStyle"), None)
        p_font = by_style.get(p_style or "", "") or default
        for run in p.iter():
            if _local(run.tag) != "r":
                continue
            fonts = next((f for f in run.iter() if _local(f.tag) == "rFonts"), None)
            r_style = next((_attr(s, "val") for s in run.iter() if _local(s.tag) == "rStyle"), None)
            font = ((_attr(fonts, "ascii") or _attr(fonts, "hAnsi")) if fonts is not None else None) \
                or (by_style.get(r_style, "") if r_style else "") or p_font or default
            encoding = legacy.legacy_font(font or "")
            if encoding is None:
                continue
            for t in run.iter():
                if _local(t.tag) in ("t", "delText") and t.text:
                    t.text = legacy.to_unicode(t.text, encoding, upper=legacy.caps_font(font))
                    found.add(encoding)
    return found


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The archive with one part replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as rebuilt:
        for entry in source.infolist():
            rebuilt.writestr(entry, content if entry.filename == name else source.read(entry))
    return out.getvalue()


def _serialise(document, raw: bytes) -> bytes:
    """The part written back with the prefixes it had (Word and mammoth expect w:, not ns0:)."""
    import xml.etree.ElementTree as ET
    for _, (prefix, uri) in SafeET.iterparse(io.BytesIO(raw), events=("start-ns",), forbid_dtd=True):
        try:
            ET.register_namespace(prefix, uri)
        except ValueError:
            pass
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)


def read_docx(source: Source, tz: tzinfo) -> ReadResult:
    """One article from a Word file: title, byline, date, body with tables, notes and images."""
    data = safe_archive(source.data, source.name)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    if "word/document.xml" not in names:
        raise SourceError("is a zip archive but not a Word document (no word/document.xml)")
    styles = _xml(archive, "word/styles.xml") if "word/styles.xml" in names else None
    document = _xml(archive, "word/document.xml")
    core = _xml(archive, "docProps/core.xml") if "docProps/core.xml" in names else None
    result = ReadResult()
    converted_runs = convert_legacy_runs(document, styles)
    if converted_runs:
        data = _with_part(data, "word/document.xml", _serialise(document, archive.read("word/document.xml")))
        result.warnings.append(f"has text in the old {', '.join(sorted(e.upper() for e in converted_runs))} "
                               "encoding (fonts such as .VnTime or VNI-Times); it was converted to Unicode: check it")
    paragraphs = _paragraphs(document)
    notes: list[str] = []
    root, embedded = _convert(data, styles, notes)
    # text typed in an old encoding whose font was changed since (so no run says so): the whole
    # document, when its words say it
    found = None if converted_runs else legacy.detect(" ".join(t for t, *_ in paragraphs))
    if found:
        _to_unicode(root, found)
        result.warnings.append(f"reads as text typed in the old {found.upper()} encoding; it was converted to "
                               "Unicode: check the text")
    title = _take_title(root)
    authors = tuple(a for el in _take(root, "doc-author") for a in [collapse(clean(text_of(el)))] if a)
    dates = [collapse(text_of(el)) for el in _take(root, "doc-date")]
    summary = " ".join(collapse(text_of(el)) for el in _take(root, "doc-abstract"))
    _take(root, "doc-subtitle")
    authors = authors or _take_byline(root, paragraphs)
    date, has_time, guess = _date(dates, core, tz, notes)
    attach_captions(root, classes=("doc-caption",))
    if not title:
        title = PurePosixPath(source.file_name).stem.replace("_", " ").replace("-", " ")
        notes.append("has no title (no Title or heading style, no bold first line): the file name was used")
    body = (root.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    result.articles.append(Imported(
        where=source.name, title=collapse(clean(title)), html=body, origin=source.file_name, date=date,
        has_time=has_time, authors=authors, summary=collapse(clean(summary)), embedded=embedded,
        notes=tuple(notes), date_is_guess=guess))
    return result


def _convert(data: bytes, styles, notes: list[str]) -> tuple[etree._Element, dict[str, Embedded]]:
    """mammoth's HTML of the document, parsed, and its images (kept by key, named by us)."""
    embedded: dict[str, Embedded] = {}

    def image(img):
        key = f"word-image-{len(embedded) + 1}"
        content_type = (img.content_type or "").lower()
        with img.open() as handle:
            content = handle.read(MAX_ENTRY_BYTES + 1)
        if content_type not in IMAGE_TYPES:
            notes.append(f"image {len(embedded) + 1} is {content_type or 'of an unknown kind'}, which browsers "
                         "cannot show; it was left out (save it as JPEG or PNG and add it)")
            return {}
        embedded[key] = Embedded(content, content_type, f"anh-{len(embedded) + 1}{IMAGE_TYPES[content_type]}")
        return {"src": key, "alt": img.alt_text or ""}

    try:
        converted = mammoth.convert_to_html(io.BytesIO(data), style_map=_style_map(styles),
                                            convert_image=mammoth.images.img_element(image))
    except Exception as err:  # noqa: BLE001 - mammoth raises many kinds for broken documents
        raise SourceError(f"cannot be read as a Word document ({type(err).__name__}: {err})") from None
    return lxml.html.fragment_fromstring(converted.value or "<p></p>", create_parent="div"), embedded


def _to_unicode(root: etree._Element, encoding: str) -> None:
    """Every text of the tree (and every alt) converted from an old font encoding."""
    for el in root.iter():
        if isinstance(el.tag, str):
            el.text = legacy.to_unicode(el.text, encoding) if el.text else el.text
            el.tail = legacy.to_unicode(el.tail, encoding) if el.tail else el.tail
            if el.get("alt"):
                el.set("alt", legacy.to_unicode(el.get("alt"), encoding))


def _date(dates: list[str], core, tz: tzinfo, notes: list[str]) -> tuple[datetime | None, bool, bool]:
    """(date, has a time, only a guess): a Date paragraph, else the document's creation date
    (a guess --date overrides), else none."""
    for text in dates:
        parsed = parse_printed_date(text, tz) or _english_date(text, tz)
        if parsed:
            return parsed[0], parsed[1], False
    created = _created(core, tz)
    if created is not None:
        notes.append("no date in the document: the date it was created was used (give --date to set it)")
    return created, True, True


def _take(root, cls: str) -> list:
    """Remove and return the elements mammoth gave a class from the style map."""
    found = [el for el in root.iter() if isinstance(el.tag, str) and cls in (el.get("class") or "").split()]
    for el in found:
        el.getparent().remove(el)
    return found


def _take_title(root) -> str:
    """The Title style, else a heading or a bold short line that opens the document."""
    titled = _take(root, "doc-title")
    if titled:
        return " ".join(plain_text(el) for el in titled)
    first = next((el for el in root if isinstance(el.tag, str) and plain_text(el)), None)
    if first is None:
        return ""
    text = plain_text(first)
    bold = first.tag == "p" and len(first) >= 1 and all(c.tag in ("strong", "b") for c in first) \
        and not (first.text or "").strip() and all(not (c.tail or "").strip() for c in first)
    if first.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or (bold and len(text) <= 250):
        root.remove(first)
        return text
    heading = next((el for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6") if plain_text(el)), None)
    if heading is not None:
        heading.getparent().remove(heading)
        return plain_text(heading)
    return ""


def _take_byline(root, paragraphs) -> tuple[str, ...]:
    """The author in the last paragraph, when it is a short name set right-aligned or in bold."""
    last = next((p for p in reversed(paragraphs) if p[0].strip()), None)
    if last is None:
        return ()
    text, right, bold, _ = last
    names = byline(text)
    if not names or not (right or bold):
        return ()
    for el in reversed([el for el in root.iter("p") if plain_text(el)]):
        if collapse(text_of(el)) == collapse(text):
            el.getparent().remove(el)
            break
    return names


_MONTHS = {m: n for n, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), 1)}


def _english_date(text: str, tz: tzinfo) -> tuple[datetime, bool] | None:
    """"July 28, 2014" or "28 July 2014" (a Date paragraph of an English template)."""
    match = re.search(r"([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", text) or re.search(r"(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})", text)
    if not match:
        return None
    a, b, year = match.groups()
    month_name, day = (a, b) if a.isalpha() else (b, a)
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    try:
        return datetime(int(year), month, int(day), tzinfo=tz), False
    except ValueError:
        return None
