"""Old Vietnamese font encodings (TCVN3/ABC, VNI): recognise them and convert to Unicode.

Before Unicode, Vietnamese was typed in 8-bit font encodings whose bytes reach us as
Latin-1/cp1252 characters: a Word run in `.VnTime` or a page declared windows-1252 reads
"C«ng ®oµn" (TCVN3) or "Coâng ñoaøn" (VNI) for "Công đoàn".

* TCVN3 (ABC, TCVN 5712:1993 "VN3", fonts `.VnTime`, `.VnArial` …) gives one code to each
  letter, lowercase only, apart from the capitals Ă Â Đ Ê Ô Ơ Ư. Capitals with a tone mark
  have no codes: they were typed with the lowercase codes in a capitals font (`.VnTimeH`,
  `.VnArialH` …) whose glyphs are all upper case. So TCVN3 converts to lowercase unless the
  caller says the font was an H font (`upper=True`, or an H font name given to `fix_legacy`).
* VNI (VNI Windows, fonts `VNI-Times`, `VNI-Helve` …) types a base letter followed by one
  modifier ("a" + "ø" = "à", "a" + "á" = "ấ", "ô" + "ù" = "ớ"), has its own codes for
  đ Đ (ñ Ñ), ơ Ơ (ô Ô), ư Ư (ö Ö), the toned i I and ỵ Ỵ, and real capitals.

Where the tables come from: the TCVN3 codes are those of glibc `localedata/charmaps/TCVN5712-1`
and GNU libiconv `lib/tcvn.h` (both TCVN 5712 VN1; VN3 is VN1 without the toned capitals and
the combining marks) and agree with the TCVN3 column of UniKey's converter (Pham Kim Long,
VnConv `data.cpp`, as in fcitx/fcitx5-unikey `unikey/data.cpp`). The VNI codes are UniKey's
VNI-WIN table in the same file, and agree with duydev/vietnamese-conversion `src/charsets.ts`.
Only the mapping (facts) is used; `tests/test_legacy.py` checks it against a second copy.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["ENCODINGS", "caps_font", "detect", "fix_legacy", "legacy_font", "to_unicode"]

ENCODINGS = ("tcvn3", "vni")

# Each row: a Unicode vowel with its five tones (grave, acute, hook, tilde, dot below),
# and the same six letters in the legacy encoding. Bases that are plain ASCII map to themselves.
_TCVN3_ROWS = (
    ("aàáảãạ", "aµ¸¶·¹"),
    ("ăằắẳẵặ", "¨»¾¼½Æ"),
    ("âầấẩẫậ", "©ÇÊÈÉË"),
    ("eèéẻẽẹ", "eÌÐÎÏÑ"),
    ("êềếểễệ", "ªÒÕÓÔÖ"),
    ("iìíỉĩị", "i×ÝØÜÞ"),
    ("oòóỏõọ", "oßãáâä"),
    ("ôồốổỗộ", "«åèæçé"),
    ("ơờớởỡợ", "¬êíëìî"),
    ("uùúủũụ", "uïóñòô"),
    ("ưừứửữự", "\xadõøö÷ù"),  # ư is 0xAD, the soft hyphen in Latin-1
    ("yỳýỷỹỵ", "yúýûüþ"),
    ("đĂÂĐÊÔƠƯ", "®¡¢§£¤¥¦"),  # the only capitals TCVN3 has
)

# VNI, lowercase; each capital is the same sequence upper-cased ("AØ" = "À", "Ñ" = "Đ"),
# as UniKey's table has it.
_VNI_ROWS = (
    ("aàáảãạ", ("a", "aø", "aù", "aû", "aõ", "aï")),
    ("ăằắẳẵặ", ("aê", "aè", "aé", "aú", "aü", "aë")),
    ("âầấẩẫậ", ("aâ", "aà", "aá", "aå", "aã", "aä")),
    ("eèéẻẽẹ", ("e", "eø", "eù", "eû", "eõ", "eï")),
    ("êềếểễệ", ("eâ", "eà", "eá", "eå", "eã", "eä")),
    ("iìíỉĩị", ("i", "ì", "í", "æ", "ó", "ò")),
    ("oòóỏõọ", ("o", "oø", "où", "oû", "oõ", "oï")),
    ("ôồốổỗộ", ("oâ", "oà", "oá", "oå", "oã", "oä")),
    ("ơờớởỡợ", ("ô", "ôø", "ôù", "ôû", "ôõ", "ôï")),
    ("uùúủũụ", ("u", "uø", "uù", "uû", "uõ", "uï")),
    ("ưừứửữự", ("ö", "öø", "öù", "öû", "öõ", "öï")),
    ("yỳýỷỹỵ", ("y", "yø", "yù", "yû", "yõ", "î")),
    ("đ", ("ñ",)),
)


def _tcvn3_table() -> dict[int, str]:
    table = {}
    for uni, legacy in _TCVN3_ROWS:
        for u, c in zip(uni, legacy, strict=True):
            if u != c:
                table[ord(c)] = u
    return table


def _vni_table() -> dict[str, str]:
    table = {}
    for uni, codes in _VNI_ROWS:
        for u, c in zip(uni, codes, strict=True):
            if u != c:
                table[c] = u
                table[c.upper()] = u.upper()
    return table


_TCVN3 = _tcvn3_table()
_VNI = _vni_table()


def _vni_regex(table: dict[str, str]) -> re.Pattern[str]:
    # One alternative per base letter ("a[øùûõï…]"), all two-character sequences before the
    # one-character codes: longest match first, and far fewer alternatives for re to try
    # than one per sequence.
    seconds: dict[str, set[str]] = {}
    for code in table:
        if len(code) == 2:
            seconds.setdefault(code[0], set()).add(code[1])
    pairs = [re.escape(b) + "[" + "".join(sorted(s)) + "]" for b, s in sorted(seconds.items())]
    singles = "[" + "".join(sorted(c for c in table if len(c) == 1)) + "]"
    return re.compile("|".join(pairs + [singles]))


_VNI_RE = _vni_regex(_VNI)


def to_unicode(text: str, encoding: str, upper: bool = False) -> str:
    """Convert `text` typed in `encoding` ("tcvn3" or "vni") to Unicode NFC.

    Characters outside the encoding's set pass unchanged. `upper=True` says the text was set
    in a capitals font (`.VnTimeH` and the other TCVN3 H fonts draw every letter as a capital,
    which is how TCVN3 typed Ấ, Ộ …): the result is upper-cased.
    """
    if encoding == "tcvn3":
        out = text.translate(_TCVN3)
    elif encoding == "vni":
        out = _VNI_RE.sub(lambda m: _VNI[m.group()], text) if not text.isascii() else text
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}: expected 'tcvn3' or 'vni'")
    if upper:
        out = out.upper()
    return unicodedata.normalize("NFC", out)


def legacy_font(name: str) -> str | None:
    """The encoding a font name implies: "tcvn3" for ".VnTime", ".VnArialH", any ".Vn…";
    "vni" for "VNI-Times", "VNI Helve", any "VNI-…"/"VNI …"; None for other fonts.
    Case-insensitive; quotes and spaces around the name (CSS font-family) are ignored."""
    key = name.strip().strip("'\"").strip().lower()
    if key.startswith(".vn"):
        return "tcvn3"
    if key.startswith(("vni-", "vni ")):
        return "vni"
    return None


def caps_font(name: str) -> bool:
    """True for a TCVN3 capitals font (".VnTimeH", ".VnArialH", ".VnArial NarrowH" …): a
    ".Vn" name ending in a capital H, or one of the two common ones in any case."""
    key = name.strip().strip("'\"").strip()
    if legacy_font(key) != "tcvn3":
        return False
    return key.endswith("H") or key.lower() in (".vntimeh", ".vnarialh")


def _font_names(fonts: Iterable[str] | str) -> list[str]:
    # A bare string would iterate as characters; a CSS font-family is a comma list.
    if isinstance(fonts, str):
        fonts = [fonts]
    return [part for f in fonts for part in f.split(",") if part.strip()]


# --- Detection ----------------------------------------------------------------------------

# Characters that may stand next to a TCVN3 code inside a word: ASCII letters, the TCVN3
# codes themselves, and the Latin-1 letters.
_L = "A-Za-z\xa1-\xae\xb5-\xb9\xbb-\xbe\xc0-\xff"
# TCVN3 codes that are symbols in Latin-1, by where the Vietnamese letter they stand for can
# stand in a word: ® (đ) only starts one, ¨ (ă) and © (â) never end one; « » are counted only
# inside a word because French and German use them as quotes at both ends, ¡ only after a
# letter because Spanish opens sentences with it, ® never after one (trademarks), · not
# between l's (Catalan l·l). The soft hyphen (ư) counts only ending a word (tư, như) or
# before an ơ ("ươ": người, được), never between syllables, where HTML puts it in any language.
_T_START = "®§¢£¤¥¦¨ª¬¶¸"
_T_MID = "¡¢£¤¥¦¨©ª«¬µ¶¸¹»¼½¾×÷"
_T_END = "£¤¥¦ª¬µ¶·¸¹¼½×÷"
# TCVN3 spells many lowercase letters with Latin-1 capitals (ệ = Ö, ỉ = Ø): a capital right
# after a lowercase letter ("ViÖt", "tØnh") is not how any Western language is written.
_T_LOWER = "a-z\xa8-\xae\xb5-\xb9\xbb-\xbe\xdf-\xff"
_T_CAPS = "\xc6-\xcc\xce-\xd6\xd8\xdc-\xde"
_TCVN3_SIGN = re.compile(
    f"(?<![{_L}])[{_T_START}](?=[{_L}])"
    f"|(?<=[{_L}])[{_T_MID}](?=[{_L}])"
    f"|(?<=[{_L}])(?<![lL])·(?=[{_L}])"
    f"|(?<=[{_L}])[{_T_END}](?![{_L}])"
    f"|(?<=[{_L}])\xad(?![{_L}])|\xad(?=[¬êëìíî])"
    f"|(?<=[{_T_LOWER}])[{_T_CAPS}]"
)
# VNI: a base vowel followed by one of its modifiers (the two-character codes of the table),
# ñ/Ñ (đ/Đ) starting a word, or Ñ after a capital consonant (HÑND = HĐND): Spanish puts ñ
# between vowels. Pairs that are also ordinary spelling don't count: "oà oá oã" are Unicode
# Vietnamese in the old spelling ("Thanh Hoá"), the others French or Spanish ("naïf",
# "goût", "où", "Israël", "aéroport", "aún").
_VNI_SHARED = {"oà", "oá", "oã", "aï", "oï", "uï", "aë", "eû", "oû", "où", "aé", "aè", "aú"}
_VNI_SIGN = re.compile(
    "|".join(re.escape(c) for c in sorted(_VNI, reverse=True)
             if len(c) == 2 and c.lower() not in _VNI_SHARED)
    + f"|(?<![{_L}])[ñÑ](?=[{_L}])|(?<=[B-DF-HJ-NP-TV-Z])Ñ"
)
# Letters only Unicode has: no legacy text read as Latin-1/cp1252 can contain them.
_UNICODE_VI = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1"
                         "\u01af\u01b0\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")
_LETTER = re.compile(r"[^\W\d_]")
MIN_WORDS = 2
MIN_SHARE = 0.2


def _signals(text: str) -> tuple[int, dict[str, int], int]:
    """(words with a letter, words with a sign of each encoding, words in Unicode Vietnamese)."""
    words = hits_t = hits_v = unicode_vi = 0
    for word in text.split():
        if word.isascii():
            words += _LETTER.search(word) is not None
            continue
        words += 1
        if _UNICODE_VI.search(word):
            unicode_vi += 1
            continue
        hits_t += _TCVN3_SIGN.search(word) is not None
        hits_v += _VNI_SIGN.search(word) is not None
    return words, {"tcvn3": hits_t, "vni": hits_v}, unicode_vi


def detect(text: str, fonts: Iterable[str] = ()) -> str | None:
    """"tcvn3", "vni" or None: which legacy encoding `text` was typed in.

    `text` is already decoded (as cp1252/Latin-1 code points). `fonts` are font names seen
    for it (a Word run's w:rFonts, an HTML font-family); legacy fonts settle the question.

    The rule. Words are whitespace-separated; a word "shows" an encoding when it holds a
    character that only makes sense there as a legacy code:
    TCVN3 – a Latin-1 symbol where Vietnamese puts the letter it codes: "®" (đ) or "§" (Đ)
    starting a word, "µ ¸ ¹ ¶ ·" (à á ạ ả ã) after a letter, "« ¬ © ª ¨" (ô ơ â ê ă)
    between letters, a soft hyphen (ư) ending a word or before ơ … (`_T_START`, `_T_MID`,
    `_T_END` say which symbol counts where), or a Latin-1 capital straight after a lowercase
    letter ("ViÖt", "tØnh");
    VNI – a vowel with a modifier that VNI defines ("aø", "oâ", "eä", "öù" …, leaving out
    the pairs French, Spanish or old-style Vietnamese also write, like "où", "naïf", "hoà"),
    or "ñ"/"Ñ" starting a word, or "Ñ" after a capital consonant ("HÑND").
    Words holding letters only Unicode has (ư ơ đ ă ạ … ỹ) count as already Unicode.
    The encoding shown by more words wins if at least `MIN_WORDS` words and `MIN_SHARE` of
    all words show it, and more words show it than are Unicode. In legacy Vietnamese half
    or more of the words show their encoding (0.50-0.83 of each paragraph of this site's
    articles), so a sentence of a few words fires; a single odd word, a stray ®, µm,
    «guillemets», "Señor", "Año", "niño", "où" doesn't.
    With fonts: if they name one legacy encoding, that is the answer, unless the text is
    plainly Unicode Vietnamese (at least as many Unicode words as words showing the
    encoding, and some). Fonts naming both encodings, or none, leave it to the rule.
    """
    found = {enc for enc in map(legacy_font, _font_names(fonts)) if enc}
    words, hits, unicode_vi = _signals(text)
    if len(found) == 1:
        (enc,) = found
        return None if unicode_vi and unicode_vi >= hits[enc] else enc
    best = max(ENCODINGS, key=lambda enc: hits[enc])
    n = hits[best]
    if n >= MIN_WORDS and n >= MIN_SHARE * words and n > unicode_vi:
        return best
    return None


def fix_legacy(text: str, fonts: Iterable[str] = ()) -> tuple[str, str | None]:
    """detect() then to_unicode(): (converted text, encoding found), or (text, None) untouched.

    TCVN3 text whose legacy fonts are all capitals fonts (`.VnTimeH` …) comes out in capitals.
    Give the fonts of one run or style at a time: a mix of `.VnTime` and `.VnTimeH` can't be
    told apart in one string.
    """
    names = _font_names(fonts)
    enc = detect(text, names)
    if enc is None:
        return text, None
    tcvn3_fonts = [f for f in names if legacy_font(f) == "tcvn3"]
    upper = enc == "tcvn3" and bool(tcvn3_fonts) and all(map(caps_font, tcvn3_fonts))
    return to_unicode(text, enc, upper=upper), enc
