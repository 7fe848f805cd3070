"""Vietnamese text: NFC normalisation, the Ð/Đ fix, slugs, diacritic folding, sort keys."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

# "Ð" (U+00D0, Icelandic Eth) looks like "Đ" (U+0110) and old Vietnamese
# encodings (TCVN3, VNI converted badly) often produce it; it breaks search,
# sorting and slugs, so it is always replaced.
ETH_FIX = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Control characters other than tab and line breaks: invisible, forbidden in XML (feeds,
# sitemaps) and flagged by HTML validators. They only ever come from copy-paste accidents.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
SLUG_MAX = 80


def nfc(text: str) -> str:
    """Return `text` in NFC, so a word typed on Windows and on macOS is one word."""
    return unicodedata.normalize("NFC", text)


def clean(text: str, controls: bool = True) -> str:
    """NFC, the Ð → Đ fix, control characters removed: the form every text field is stored in.

    `controls=False` when the caller has already found none in `text`: searching an article's
    body for them costs ~12-25 µs (the regex tests each character against its set).
    """
    text = nfc(text)
    # str.translate looks every character of a non-ASCII text up in a dict (~150 µs for an
    # article's body); two replaces are C loops over the string, and cost nothing when the
    # letter is absent.
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    return CONTROL.sub("", text) if controls and CONTROL.search(text) else text


def control_lines(text: str) -> list[int]:
    """1-based numbers of the lines of `text` that contain control characters."""
    if not CONTROL.search(text):
        return []
    return [n for n, line in enumerate(text.split("\n"), 1) if CONTROL.search(line)]


def eth_lines(text: str) -> list[int]:
    """1-based numbers of the lines of `text` that contain Ð or ð."""
    if "\u00d0" not in text and "\u00f0" not in text:
        return []
    return [n for n, line in enumerate(text.split("\n"), 1) if "\u00d0" in line or "\u00f0" in line]


def collapse(text: str) -> str:
    """Trim and collapse runs of whitespace to one space."""
    # str.split() cuts at exactly the characters the regex \s matches (str.isspace), in C
    # and about four times as fast as re.sub(r"\s+", " ", text).strip().
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lowercase `text` and strip Vietnamese diacritics: "Đại hội" → "dai hoi"."""
    text = nfc(text).translate(ETH_FIX).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    # every mark (category M), as the web editor's JavaScript drops them (\p{M}): not only those
    # with a combining class (U+16F4F, a mark of class 0, made "0𖽏0" two slugs)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII, lowercase, hyphenated slug, cut at a word boundary.

    Never empty and never "." or "..": text with no Latin letters or digits
    gets a stable slug made from a hash of the text.
    """
    slug = _NON_SLUG.sub("-", fold(text)).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:max_length]
        slug = slug.strip("-")
    if not slug:
        slug = "bai-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug


# Vietnamese alphabetical order. Letters not in the Vietnamese alphabet
# (f, j, w, z) keep their Latin place so foreign names still sort sensibly.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
# Tone order of Vietnamese dictionaries: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_MODIFIERS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


@lru_cache(maxsize=None)
def _char_key(char: str) -> tuple[int, int]:
    lower = char.lower()
    if lower == "đ":
        return 100 + _RANK["đ"], 0
    parts = unicodedata.normalize("NFD", lower)
    base, marks = parts[0], parts[1:]
    tone = 0
    letter = base
    for mark in marks:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _MODIFIERS:
            letter += mark
    letter = unicodedata.normalize("NFC", letter)
    if letter in _RANK:
        return 100 + _RANK[letter], tone
    if base.isdigit():
        return 10 + int(base) if base in "0123456789" else 20, 0
    if base.isspace():
        return 0, 0
    if base.isalpha():
        return 1000 + ord(base), tone
    return 1, 0  # punctuation sorts just after a space


def sort_key(text: str) -> tuple:
    """Key for Vietnamese alphabetical order, tone marks as a secondary key.

    "Dân chủ" < "Đào tạo" < "Giáo dục"; "ma" < "mà" < "mả" < "mã" < "má" < "mạ".
    """
    keys = [_char_key(c) for c in collapse(nfc(text))]
    return tuple(k[0] for k in keys), tuple(k[1] for k in keys), text
