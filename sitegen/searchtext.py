"""Search text: how the words of an article are written for Pagefind, and how a query is read.

Readers type Vietnamese without tone marks, "d" for "đ", and abbreviations for their full forms.
Pagefind (≥ 1.5) already matches a word without its tone marks ("hoi" finds "hội"), but three
rules of the portal's search it cannot express in one search, and running a search per word and
spelling in the browser cost seconds at 10,000 articles. So the words are written for Pagefind in
a form where one search is enough (the search documents, sitegen/searchdocs.py), and the page
reads its results back to the text the reader knows (assets/search.js, `clean`):

- **Whole words.** Pagefind matches every query word as a prefix ("doan" finds "doanh"). Each
  word of a search document ends with MARK (ǂ, a letter no Vietnamese text has), and each query
  word too, so "doanǂ" can only be "doanǂ". A query word left without it is a prefix:
  the page does that for the word still being typed. (A letter, not punctuation: Pagefind takes a
  word with punctuation in it for a compound and works out its parts, which made indexing 35 %
  slower with "‿".)
- **đ as d.** "đ" is a letter of its own, not "d" with a mark, so Pagefind keeps it apart from
  "d". It is written "d" + STROKE, a combining mark Pagefind takes as part of the word and then
  drops when it folds the marks away ("đại" is indexed as "dai", the form "dͅại" kept for
  ranking exact spellings first).
- **Abbreviations both ways.** Where a glossary full form stands in the text ("Công đoàn Viên
  chức"), each of its words carries the abbreviation's key as a prefix joined by a hyphen
  ("{cdvcǂ}-Côngǂ"): Pagefind indexes both halves of a hyphenated word at the word's place, so
  "cdvc" finds the phrase and highlights it. The page writes a full form typed in a query as the
  key; an abbreviation typed is its own key already ("CĐVC" folds to "cdvc").

A word's key (`fold`) is what Pagefind matches on: lower case, without marks, đ as d. The
vocabulary of a shard (`keys`) is the set of keys of its words; the page looks a query's keys up
in it before searching a shard (sitegen/lexicon.py).

assets/search.js holds the same rules for queries; tests/test_search.py runs both on the same
queries, and tests/test_search_text.py checks that Pagefind indexes every key where a document
says it is.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

MARK = "\u01c2"       # ǂ a letter without case that no Vietnamese text has: part of the word to Pagefind
STROKE = "\u0345"     # COMBINING GREEK YPOGEGRAMMENI: alphabetic to Pagefind, and a mark it drops
WORD = re.compile(r"[^\W_]+")
_KEY = re.compile(rf"[^\W_{MARK}]+")                  # a word in text that has its MARKs
_WORD_END = re.compile(r"(?<=[^\W_])(?![^\W_])")    # a plain replacement at each: re's fast path
# The same where no "_" stands in the text (most texts): a third faster. ("_" is all that tells
# \w from [^\W_].)
_WORD_END_PLAIN = re.compile(r"(?<=\w)\b")
# Between two words of one token, punctuation that is not ASCII ("2019–2020", "lao–động"):
# Pagefind splits a token into its parts only at ASCII punctuation, so it is wrapped in backticks.
_JOINED = re.compile(rf"(?<={MARK})([^\s\w{MARK}]+)(?=[^\W_])")


class _Folded(dict):
    """str.translate's table: code point → its folded character, when folding gives one
    character (so the folded text keeps every position)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = fold(char)
        self[code] = value = folded if len(folded) == 1 else char
        return value


def fold(text: str) -> str:
    """The key Pagefind matches a word on: lower case, without marks, with đ as d ("Đại" → "dai")."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).replace("đ", "d")


class _FoldedWords(_Folded):
    """_Folded, but every character that is not part of a word, a new line or "_", a space: the
    keys of such a text are its words split at white space."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "\n_" or WORD.match(char):
            value = super().__missing__(code)
        else:
            self[code] = value = " "
        return value


_FOLD = _Folded()
_FOLD_WORDS = _FoldedWords()


def fold_chars(text: str) -> str:
    """`text` folded character by character, of the same length: a position in the result is the
    same position in `text` (for finding glossary phrases without their marks)."""
    return text.translate(_FOLD)


def words(text: str) -> list[str]:
    """The words of a text as Pagefind's queries see them: runs of letters and digits."""
    return WORD.findall(unicodedata.normalize("NFC", text))


def keys(text: str) -> set[str]:
    """The keys of the words of `text` (its vocabulary)."""
    return {fold(w) for w in words(text)}


@dataclass(frozen=True)
class GlossaryEntry:
    """One abbreviation of site.yaml's glossary, as search reads it."""

    key: str                    # what Pagefind indexes for it: "cdvc", "ccvcld" for "CC,VC,LĐ"
    phrases: tuple[tuple[str, ...], ...]   # folded word sequences that stand for it


class Glossary:
    """site.yaml's glossary for search: the phrases (full forms, and abbreviations written in
    several parts such as "CC,VC,LĐ") that stand for an abbreviation's key."""

    def __init__(self, glossary: Mapping[str, str]):
        entries = []
        for abbreviation, full in sorted(glossary.items()):
            parts = [fold(w) for w in words(abbreviation)]
            phrases = {tuple(fold(w) for w in words(full)), tuple(parts)}
            phrases = {p for p in phrases if len(p) > 1}
            if parts and phrases:
                entries.append(GlossaryEntry("".join(parts), tuple(sorted(phrases))))
        self.entries = tuple(entries)
        self._keys = {" ".join(p): e.key for e in entries for p in e.phrases}
        # Over text folded with fold_chars after each word got its MARK: a phrase is its words in
        # order, anything but a word or a new line between them (a comma in "công chức, viên chức").
        between = f"{MARK}[^\\w\\n]*?"      # (a new line ends a block: phrases do not cross it)
        self._each: dict[str, list[tuple[re.Pattern, str]]] = {}
        for phrase, key in sorted(self._keys.items(), key=lambda pk: (-len(pk[0]), pk)):
            pattern = re.compile(between.join(map(re.escape, phrase.split())) + MARK)
            self._each.setdefault(phrase.split()[0], []).append((pattern, key))
        firsts = "|".join(sorted(map(re.escape, self._each), key=lambda w: (-len(w), w)))
        self._starts = re.compile(f"(?<![^\\W_])(?:{firsts}){MARK}") if self._each else None

    def phrase_keys(self, folded_marked: str) -> list[tuple[int, int, str]]:
        """(start, end, key) of every phrase in `folded_marked`, overlapping ones included
        ("Tổng Liên đoàn Lao động Việt Nam" holds "Liên đoàn Lao động")."""
        found = []
        if self._starts is None:
            return found
        for start in self._starts.finditer(folded_marked):
            first = start.group(0)[:-len(MARK)]
            for pattern, key in self._each[first]:
                match = pattern.match(folded_marked, start.start())
                if match is not None:
                    found.append((match.start(), match.end(), key))
        return found

    def query_keys(self, folded: list[str]) -> list[tuple[str, bool]]:
        """A query's folded words with each glossary phrase among them replaced by its key, the
        longest phrase first: [(word or key, replaced?)]."""
        out: list[tuple[str, bool]] = []
        i = 0
        while i < len(folded):
            for n in range(len(folded) - i, 1, -1):
                key = self._keys.get(" ".join(folded[i:i + n]))
                if key is not None:
                    out.append((key, True))
                    i += n
                    break
            else:
                out.append((folded[i], False))
                i += 1
        return out


def search_text(text: str, glossary: Glossary) -> tuple[str, set[str]]:
    """`text` written for Pagefind, and the keys a query can find in it.

    The text gets MARK after every word, backticks around non-ASCII punctuation between two words
    of a token, the glossary keys before the words of their phrases, and đ as d + STROKE. The
    page shows Pagefind's excerpts after undoing each of these (search.js `clean`).
    """
    text = unicodedata.normalize("NFC", text)
    # Without "_" or MARK in the text, each word is a run of \w ending in MARK, and the words are
    # what is left of the text folded with every other character a space: split is faster than
    # findall (each pass over the text costs about 0.07 ms of an article's 0.4 ms).
    plain = "_" not in text and MARK not in text
    marked = (_WORD_END_PLAIN if plain else _WORD_END).sub(MARK, text)
    if not marked.isascii():
        marked = _JOINED.sub(_backticks, marked)
    if plain:
        folded = marked.translate(_FOLD_WORDS)
        found = {word[:-len(MARK)] for word in set(folded.split())}
    else:
        folded = fold_chars(marked)
        found = set(_KEY.findall(folded))
    phrases = glossary.phrase_keys(folded)
    if phrases:
        before: dict[int, set[str]] = {}
        for start, end, key in phrases:
            found.add(key)
            for word in WORD.finditer(marked, start, end):
                before.setdefault(word.start(), set()).add(key)
        pieces, last = [], 0
        for position in sorted(before):
            pieces.append(marked[last:position])
            pieces.extend(f"{{{key}{MARK}}}-" for key in sorted(before[position]))
            last = position
        pieces.append(marked[last:])
        marked = "".join(pieces)
    if "đ" in marked or "Đ" in marked:
        marked = marked.replace("đ", "d" + STROKE).replace("Đ", "D" + STROKE)
    return marked, found


def _backticks(match: re.Match) -> str:
    separator = match.group(1)
    return separator if separator.isascii() else f"`{separator}`"
