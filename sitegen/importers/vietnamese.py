"""What Vietnamese sources need: their encodings, their printed dates, and the byline at the end."""
from __future__ import annotations

import codecs
import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo

from ..text import clean, collapse, nfc
from . import legacy

# "Cập nhật lúc19:10, Thứ Tư, 25/12/2019 (GMT+7)", "Thứ năm, 2/11/2023, 19:20 (GMT+7)",
# "25-12-2019 19:10", "ngày 25 tháng 12 năm 2019"
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})(?!\d)")
_DMY_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})", re.IGNORECASE)
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])\s*(?::|h|g|giờ)\s*([0-5]\d)(?:\s*:\s*([0-5]\d))?(?!\d)", re.IGNORECASE)
_GMT = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(r"^(?:(?:tin|bài|ảnh|video|clip)(?:\s*(?:,|và|-|&|\+)\s*(?:tin|bài|ảnh|video|clip))*"
                            r"|(?:thực hiện|nhóm phóng viên|phóng viên|pv|ctv))\s*:\s*", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s+-\s+|\s*[,;]\s*|\s+và\s+|\s*&\s*")
_INITIALS = re.compile(r"^(?:[^\W\d_]\.){1,3}[^\W\d_]*$")


_TONE_MARKS = set("\u0300\u0301\u0303\u0309\u0323")
_LETTERS = set("abcdđeghiklmnopqrstuvxyfjwz") | {"\u0302", "\u0306", "\u031b"}


def syllable_score(text: str) -> int:
    """How many words of `text` are well-formed Vietnamese syllables with a diacritic: letters of
    the alphabet and at most one tone mark. Text decoded with the wrong table is full of words
    with two tones or stray symbols ("tụềng", "c«ng"); right text has many of these."""
    score = 0
    for word in text.split()[:4000]:
        parts = unicodedata.normalize("NFD", word.strip(".,;:!?()\"'“”…-–").lower())
        if not parts or parts.isascii():
            continue
        tones = sum(1 for c in parts if c in _TONE_MARKS)
        if tones <= 1 and all(c in _LETTERS or c in _TONE_MARKS for c in parts):
            score += 1
    return score


def decode(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Bytes of a text source as text (NFC, LF line ends), and warnings.

    A byte-order mark or a declared encoding (a page's meta charset, a server's header, an XML
    declaration) is honoured, windows-1258 included. Undeclared bytes that are not UTF-8 are
    Vietnamese Windows text (windows-1258), unless they are one of the old font encodings
    (TCVN3, VNI) typed on a Western Windows, which are converted to Unicode.
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", "replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", "replace")
    else:
        text = None
        if declared:
            try:
                codec = codecs.lookup(declared.strip().strip("\"'"))
            except LookupError:
                warnings.append(f'declares the unknown encoding "{declared}"; read as UTF-8')
            else:
                try:
                    text = data.decode(codec.name)
                except UnicodeDecodeError:
                    text = data.decode(codec.name, "replace")
                    warnings.append(f"is not valid {codec.name} as it declares; unreadable bytes were replaced")
                if codec.name in ("cp1252", "latin-1", "iso8859-1", "ascii"):
                    text = _legacy(text, warnings)
        if text is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                # Vietnamese Windows text, or an old font encoding typed on a Western Windows:
                # whichever reading gives Vietnamese words
                text = nfc(data.decode("cp1258", "replace"))
                western = data.decode("cp1252", "replace")
                found = legacy.detect(western)
                converted = legacy.to_unicode(western, found) if found else ""
                if found and syllable_score(converted) > syllable_score(text):
                    text = converted
                    warnings.append(f"was typed in the old {found.upper()} encoding; converted to Unicode")
                else:
                    warnings.append("is not UTF-8; read as Vietnamese Windows text (windows-1258)")
    # NFC only: the Ð -> Đ fix is the import stage's, which says when it made it
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n")), warnings


def _legacy(text: str, warnings: list[str]) -> str:
    found = legacy.detect(text)
    if not found:
        return text
    warnings.append(f"was typed in the old {found.upper()} encoding; converted to Unicode")
    return legacy.to_unicode(text, found)


def declared_charset(head: bytes) -> str | None:
    """The charset an HTML page or XML file declares in its first bytes, if any."""
    text = head[:4096].decode("ascii", "replace")
    match = (re.search(r"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", text, re.IGNORECASE)
             or re.search(r"<\?xml[^>]+encoding\s*=\s*[\"']([\w.:-]+)", text, re.IGNORECASE))
    return match.group(1) if match else None


def parse_printed_date(text: str, tz: tzinfo) -> tuple[datetime, bool] | None:
    """A date as Vietnamese portals print it, with its time and offset when given:
    (aware datetime, whether a time of day was found), or None."""
    text = collapse(text)
    match = _DMY.search(text) or _DMY_WORDS.search(text)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    window = text[max(0, match.start() - 40): match.end() + 40]
    time_match = _TIME.search(window)
    hour = minute = second = 0
    if time_match:
        hour, minute, second = int(time_match.group(1)), int(time_match.group(2)), int(time_match.group(3) or 0)
    zone: tzinfo = tz
    gmt = _GMT.search(window)
    if gmt:
        offset = timedelta(hours=int(gmt.group(2)), minutes=int(gmt.group(3) or 0))
        zone = timezone(offset if gmt.group(1) == "+" else -offset)
    try:
        value = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
    return value, time_match is not None


def byline(text: str) -> tuple[str, ...]:
    """The author names of a byline line ("Văn Huỳnh", "Tin, ảnh: M.Linh", "Hải Yến - Minh
    Quang"), or () when the line does not look like one: a few capitalised words, no sentence."""
    line = collapse(clean(text)).strip(" .–—-*_")
    line = _BYLINE_PREFIX.sub("", line)
    line = re.sub(r"^(?:by|par|von|door|por|di)\s+", "", line, flags=re.IGNORECASE)   # "Par Sébastien Farcis"
    if re.match(r"^theo\b", line, re.IGNORECASE):
        return ()       # "Theo VnExpress": the source of a reposted article, not its author
    line = re.sub(r"\s*\([^)]{1,60}\)$", "", line).strip()   # "Văn Huỳnh (CĐVC tỉnh)"
    if not line or len(line) > 60 or re.search(r"[\d!?:;\"“”]", line):
        return ()
    names = [n.strip() for n in _AUTHOR_SPLIT.split(line) if n.strip()]
    if not names or len(names) > 4:
        return ()
    for name in names:
        words = name.split()
        if not 1 <= len(words) <= 6:
            return ()
        for word in words:
            if _INITIALS.match(word) and word[0].isupper():
                continue
            if not (word[0].isupper() and (len(word) == 1 or word[1:].islower())):
                return ()
    return tuple(names)
