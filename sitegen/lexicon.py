"""The lexicon: which shards hold each word, for the search page to know where to look.

A query is answered from the shards that hold every one of its words: a word held nowhere gives
"nothing found" at once, without searching, and a rare word is searched only in the shards that
have it. The words are split, in their sorted order, into small files named by their content
(the page fetches the one or two a query needs and keeps them); shards.json lists where each
file starts.

A file is a JSON list of [word, shards]: the word's key (sitegen/searchtext.py `fold`) and the
shards that hold it as ranges of their places in shards.json ("0-3,7": the four newest, and the
eighth). Nearly every common word is in every shard, so the ranges stay short.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

WORDS_PER_FILE = 1500      # ~4–6 KiB compressed with the words of Vietnamese news


def ranges(places: Sequence[int]) -> str:
    """"0-3,7" for [0, 1, 2, 3, 7] (sorted, distinct)."""
    parts, start = [], None
    for n, place in enumerate(places):
        if start is None:
            start = place
        if n + 1 == len(places) or places[n + 1] != place + 1:
            parts.append(str(start) if start == place else f"{start}-{place}")
            start = None
    return ",".join(parts)


def lexicon_files(vocabularies: Sequence[Sequence[str]]) -> tuple[list[list[str]], dict[str, bytes]]:
    """Lexicon files for shards whose words are `vocabularies` (in shards.json order).

    Returns the index ([first word, file name] for each file, in order) and the files' bytes by
    name ("lexicon/<hash>.json")."""
    holders: dict[str, list[int]] = {}
    for place, words in enumerate(vocabularies):
        for word in words:
            holders.setdefault(word, []).append(place)
    ordered = sorted(holders)
    index: list[list[str]] = []
    files: dict[str, bytes] = {}
    for start in range(0, len(ordered), WORDS_PER_FILE):
        chunk = ordered[start:start + WORDS_PER_FILE]
        data = json.dumps([[word, ranges(holders[word])] for word in chunk], ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        name = f"lexicon/{hashlib.sha256(data).hexdigest()[:16]}.json"
        files[name] = data
        index.append([chunk[0] if start else "", name])
    return index, files
