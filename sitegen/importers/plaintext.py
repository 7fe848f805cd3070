"""Plain-text articles as old portals' pages were saved (../shared/seeds/): title, date line,
paragraphs, byline, and the page's clutter around them, which is dropped."""
from __future__ import annotations

import html
import re
from datetime import tzinfo
from pathlib import PurePosixPath

from ..text import collapse
from .record import Imported, ReadResult, SourceError
from .sources import Source
from .vietnamese import byline, decode, parse_printed_date

# Whole lines that are a page's furniture, not the article: navigation, labels, widgets.
_CLUTTER = re.compile(
    r"^(?:back|vissza|quay lại|trở lại|trở về|trang chủ|in bài(?: viết)?|in trang|chia sẻ|gửi email|gửi bài|"
    r"bình luận(?: bài viết)?|ý kiến bạn đọc|thông báo|báo cáo\s*-\s*thống kê|videos?|văn bản mới|liên kết web|"
    r"lượt truy cập|tin liên quan|các tin khác|tin khác|tin mới|xem thêm|đọc tiếp|top|•?\s*tất cả:?\s*[\d.,]*|"
    r"[\s,.;:•·\-–—|/\\]*)$", re.IGNORECASE)
# Lines of a site's footer: once one is met after the article, the rest is footer too.
_FOOTER = re.compile(r"giấy phép|cơ quan chủ quản|tổng biên tập|đơn vị quản lý|^địa chỉ\s*:|điện thoại\s*:|"
                     r"^email\s*:|bản quyền|copyright|©|ghi rõ nguồn|cấm sao chép|lượt truy cập|ban biên tập",
                     re.IGNORECASE)
# The line a portal prints under the title: "Cập nhật lúc19:10, Thứ Tư, 25/12/2019 (GMT+7)",
# "Thứ năm, 2/11/2023, 19:20 (GMT+7)", "Ngày đăng: 25/12/2019"; a sentence that starts with
# "Ngày 25/12/2019, …" is the article's first paragraph, not a date line.
_DATE_LINE = re.compile(r"^(?:cập nhật|đăng lúc|đăng ngày|ngày đăng|ngày cập nhật|thời gian|thứ\s+\w+|chủ nhật)\b"
                        r".{0,60}\d{4}|^(?:ngày\s*:?\s*)?\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:[ ,]+\d{1,2}:\d{2})?$",
                        re.IGNORECASE)
_TITLE_DATE = re.compile(r"\s*\((\d{1,2}/\d{1,2}/\d{4}(?:\s+\d{1,2}:\d{2})?)\)$")
_SENTENCE_END = re.compile(r"[.!?…:;”\"]$")
LONG = 100          # characters: a line this long is prose, not a caption, byline or label


def _is_label(line: str) -> bool:
    """An upper-case section label above the title ("TIN HOẠT ĐỘNG TIN HOẠT ĐỘNG")."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and len(line) <= 80 and all(c.isupper() for c in letters)


def split_article(lines: list[str], tz: tzinfo) -> dict:
    """Find title, date, byline and body paragraphs in the lines of a text."""
    numbered = [(n, collapse(line)) for n, line in enumerate(lines, 1)]
    numbered = [(n, line) for n, line in numbered if line and not _CLUTTER.match(line)]
    while numbered and _is_label(numbered[0][1]):
        numbered.pop(0)
    if not numbered:
        return {}
    notes: list[str] = []
    title, date = "", None
    if len(numbered[0][1]) <= 250 and not numbered[0][1].endswith("."):
        title = numbered.pop(0)[1]
    stamp = _TITLE_DATE.search(title)
    if stamp:       # "… năm 2016 (11/07/2016)": the day the portal posted it
        date = parse_printed_date(stamp.group(1), tz)
        title = title[: stamp.start()].rstrip()
    if date is None and numbered and _DATE_LINE.match(numbered[0][1]) and len(numbered[0][1]) <= 120:
        date = parse_printed_date(numbered[0][1], tz)
        if date is not None:
            numbered.pop(0)
    end, authors = _byline(numbered)
    body = numbered[:end]
    if not title and body:
        sentence = re.split(r"(?<=[.!?])\s", body[0][1], maxsplit=1)[0].rstrip(".")
        title = sentence if len(sentence) <= 200 else sentence[:200].rsplit(" ", 1)[0] + "…"
        notes.append("has no title line: the first sentence of the text was used; check it")
    if date is None:
        for line in (title, body[0][1] if body else ""):
            date = parse_printed_date(line[:80], tz)   # "Ngày 22.6.2016, …", "Sáng ngày 09/6/2020, …"
            if date:
                notes.append("has no date line: the date written at the start of its text was used")
                break
    return {"title": title, "date": date, "authors": authors, "html": _paragraphs(body, notes), "notes": notes}


def _byline(numbered: list[tuple[int, str]]) -> tuple[int, tuple[str, ...]]:
    """(where the article ends, its authors): the last short name line that follows prose
    (within three lines: a caption may come between), with nothing but footer and furniture
    after it; without one, the article ends at the footer."""
    for index in range(len(numbered) - 1, -1, -1):
        line = numbered[index][1]
        if len(line) > LONG and not _FOOTER.search(line):
            break
        names = byline(line)
        if names and any(len(text) > LONG for _, text in numbered[max(0, index - 3): index]):
            return index, names
    end = next((i for i, (_, line) in enumerate(numbered) if _FOOTER.search(line) and i > 0), len(numbered))
    return end, ()


def _paragraphs(body: list[tuple[int, str]], notes: list[str]) -> str:
    """Each line a paragraph; a short line between two of prose, without a full stop, is a
    photo's caption whose photo the text lost: kept in italics, and said."""
    paragraphs = []
    for index, (n, line) in enumerate(body):
        before = body[index - 1][1] if index else ""
        after = body[index + 1][1] if index + 1 < len(body) else ""
        if (index and len(line) <= 150 and not _SENTENCE_END.search(line) and len(before) > LONG
                and len(after) > LONG):
            notes.append(f"line {n} looks like the caption of a photo the text does not hold; it was kept in italics")
            paragraphs.append(f"<p><em>{html.escape(line)}</em></p>")
        else:
            paragraphs.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(paragraphs)


def read_text(source: Source, tz: tzinfo) -> ReadResult:
    """One article from a plain-text file."""
    if b"\x00" in source.data[:65536] and not source.data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("is not text (it holds NUL bytes): not an article")
    text, warnings = decode(source.data)
    if sum(1 for c in text[:20000] if c == "\ufffd" or (ord(c) < 32 and c not in "\n\t")) > len(text[:20000]) // 20:
        raise SourceError("is not text in any encoding import knows: not an article")
    found = split_article(text.split("\n"), tz)
    if not found or not found["html"]:
        raise SourceError("holds no text that could be an article")
    date = found["date"]
    result = ReadResult(warnings=warnings)
    result.articles.append(Imported(
        where=source.name, title=found["title"] or PurePosixPath(source.file_name).stem, html=found["html"],
        origin=source.url or source.file_name, date=date[0] if date else None, has_time=date[1] if date else True,
        authors=found["authors"], notes=tuple(found["notes"])))
    return result
