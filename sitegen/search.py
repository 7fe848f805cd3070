"""Index stage: the search index of the articles, in shards, kept in .cache/ between builds.

    articles ──▶ search documents ──▶ shards (by date) ──▶ Pagefind, per changed shard ──▶ lexicon ──▶ pagefind/

Everything is written in .cache/<build>.search/ first: the search documents (searchdocs.py) in
docs/<shard>/, each shard's Pagefind bundle in bundles/<shard>/, each shard's vocabulary in
vocab/<shard>.txt, the lexicon (lexicon.py) and shards.json. Nothing of output/ changes until
publish(), which the build calls once every stage has succeeded, so a failed index leaves the
previous site as it was.

An article's document is written again only when the article, the names it is filed under, or
the settings documents depend on changed; a shard is indexed again only when one of its documents
changed; Pagefind runs on one more shard at once than there are cores. The published tree:

    pagefind/pagefind.js, pagefind-worker.js, wasm.*.pagefind   Pagefind's engine, loaded once (the page
                                                               runs it without its worker)
    pagefind/shards.json                                       the shards, newest first, their vocabulary
                                                               pages' ids, the lexicon's files
    pagefind/lexicon/<hash>.json                               which shards hold each word
    pagefind/<shard>/…                                         one Pagefind index per shard
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import cbor2

from . import pagefind
from .errors import BuildError, Diagnostic
from .i18n import format_short_date
from .lexicon import lexicon_files
from .models import Article
from .parallel import map_chunks, workers
from .render import thumbnail_url
from .searchdocs import VOCABULARY_PAGE, VOCABULARY_URL, body_blocks, document, document_keys, vocabulary_page
from .searchtext import Glossary
from .shards import Shard, plan_shards
from .write import discard

BUNDLE_DIR = "pagefind"
MANIFEST = "shards.json"
DOCUMENTS_VERSION = 1      # raise when document() writes something else: every document is written again
STATE_VERSION = 3         # raise when a bundle changes after Pagefind (2: tune_engine) or the state does (3: a pickle,
                           # each shard's bytes): every shard is indexed again


@dataclass(frozen=True)
class IndexReport:
    """What the index stage produced."""

    pages: int
    bytes: int
    files: int
    shards: int = 0
    indexed: int = 0                 # shards Pagefind indexed in this build
    engine: str = ""                 # "Pagefind 1.6.0 (npm)"
    live: dict[str, str] = field(default_factory=dict, repr=False)   # published path -> file in .cache
    # The files of the newest shard that Pagefind asks for first (its entry, with the ?ts= the
    # search page gives it, and its metadata), relative to pagefind/: the page's <head> asks for
    # them as it loads, rather than after search.js and the manifest have arrived.
    first: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filing:
    """What an article's search document says besides its text, worked out in the build."""

    level: str
    unit: str
    authors: tuple[str, ...]
    topics: tuple[str, ...]


class SearchIndex:
    """The search index of one output folder (see the module's docstring)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.docs, self.bundles, self.vocab = folder / "docs", folder / "bundles", folder / "vocab"
        self.state_path = folder / "state.pickle"

    # -- the stage ---------------------------------------------------------------------------

    def update(self, root: Path, articles: Sequence[Article], digests: dict[str, bytes],
               filings: dict[str, Filing], config, images: dict, shard_size: int) -> IndexReport:
        """Bring documents, shard bundles, lexicon and manifest up to date with `articles`.
        Raises BuildError (naming Pagefind's complaint) if a shard cannot be indexed.
        Longer than 60 lines: its three steps (documents, shards, manifest) are one pass
        that shares the state read from .cache/; each step is commented.
        """
        engine = pagefind.find_engine(root)
        glossary = Glossary(config.glossary)
        frame = _digest(repr((DOCUMENTS_VERSION, sorted(config.glossary.items()), config.base_path,
                              config.timezone)))
        for legacy in (".pagefind", ".pages"):      # the single index of earlier versions
            discard(self.folder.with_suffix(legacy))
        state = self._load_state()
        if state.get("frame") != frame or state.get("engine") != str(engine) or not self.docs.is_dir():
            # documents written with other settings, or indexed by another Pagefind: start over
            discard(self.folder)
            state = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        known: dict[str, list] = state.get("docs", {})
        tz = config.tz
        # oldest first (the articles come newest first)
        shards = plan_shards([(_local_date(articles[n], tz), n) for n in range(len(articles) - 1, -1, -1)], shard_size)
        shard_of = {n: shard.id for shard in shards for n in shard.members}

        # 1. documents: write those whose inputs changed, move those whose shard changed
        keys: list[str] = []
        todo: list[int] = []
        for n, article in enumerate(articles):
            filing = filings[article.source]
            # a plain tuple's repr: a dataclass's took 0.25 s of every build at 100,000 articles
            key = _digest(repr((digests[article.source], filing.level, filing.unit, filing.authors, filing.topics))) \
                if article.source in digests else ""
            keys.append(key)
            rel = article.route.file
            had = known.get(rel)
            if not key or had is None or had[1] != key:
                todo.append(n)
            elif had[0] != shard_of[n]:
                self._move(rel, had[0], shard_of[n])

        def job(start: int, end: int) -> list[tuple[int, str]]:
            made = []
            for n in todo[start:end]:
                article = articles[n]
                text = _document(article, filings[article.source], glossary, config, images)
                data = text.encode("utf-8")
                path = self.docs / shard_of[n] / article.route.file
                _replace(path, data)
                made.append((n, hashlib.sha256(data).hexdigest()[:16]))
            return made

        written = dict(map_chunks(job, len(todo)))
        docs: dict[str, list] = {}
        for n, article in enumerate(articles):
            rel = article.route.file
            digest = written.get(n) or known[rel][2]
            if n in written and rel in known and known[rel][0] != shard_of[n]:
                (self.docs / known[rel][0] / rel).unlink(missing_ok=True)
            docs[rel] = [shard_of[n], keys[n], digest]
        for rel in known.keys() - docs.keys():          # articles gone (or moved to another address)
            (self.docs / known[rel][0] / rel).unlink(missing_ok=True)

        # 2. shards: index those whose documents changed
        previous = state.get("shards", {})
        digest_of = {}
        for shard in shards:
            members = sorted(f"{articles[n].route.file} {docs[articles[n].route.file][2]}" for n in shard.members)
            digest_of[shard.id] = _digest("\n".join(members))
        changed = [s for s in shards if previous.get(s.id, {}).get("digest") != digest_of[s.id]
                   or not (self.bundles / s.id / "pagefind-entry.json").is_file()]
        for gone in previous.keys() - digest_of.keys():
            discard(self.docs / gone)
            discard(self.bundles / gone)
            (self.vocab / f"{gone}.txt").unlink(missing_ok=True)
        vocabularies: dict[str, list[str]] = {}
        skips = self._index(engine, changed, vocabularies)

        # 3. what each shard publishes, the lexicon and the manifest
        shard_info, live, size = [], {}, 0
        redone = {s.id for s in changed}
        for shard in shards:
            bundle = self.bundles / shard.id
            kept = previous.get(shard.id, {}) if shard.id not in redone else {}
            names, nbytes = kept.get("live"), kept.get("bytes")
            if names is None:
                names = sorted(pagefind.live_files(bundle))
            # strings, not Paths: 100,000 articles publish 105,000 files (0.5 s of Path joins)
            folder = os.path.join(bundle, "")
            if nbytes is None:             # summed once, when the shard is indexed (105,000 stats: 0.3 s)
                nbytes = sum(os.stat(folder + rel).st_size for rel in names)
            size += nbytes
            for rel in names:
                live[f"{shard.id}/{rel}"] = folder + rel
            entry = (bundle / "pagefind-entry.json").read_bytes()
            skip = skips.get(shard.id) or previous.get(shard.id, {}).get("skip") \
                or pagefind.page_id(bundle, VOCABULARY_URL)
            shard_info.append({"id": shard.id, "first": shard.first.isoformat(), "last": shard.last.isoformat(),
                               "pages": len(shard.members), "entry": hashlib.sha256(entry).hexdigest()[:12],
                               "skip": skip, "names": names, "bytes": nbytes})
        newest = self.bundles / shards[0].id
        for name in self._engine_files(newest):
            live[name] = str(newest / name)
            size += os.stat(live[name]).st_size
        lexicon, files = lexicon_files([vocabularies.get(s.id) or self._read_vocabulary(s.id) for s in shards])
        lexicon_dir = self.folder / "lexicon"
        lexicon_dir.mkdir(exist_ok=True)
        for name, data in files.items():
            path = self.folder / name
            if not path.exists():
                _replace(path, data)
            live[name] = str(path)
            size += len(data)
        for path in lexicon_dir.iterdir():
            if f"lexicon/{path.name}" not in files:
                path.unlink()
        manifest = {"version": 1, "pagefind": engine.version,
                    "shards": [{k: v for k, v in info.items() if k not in ("names", "bytes")} for info in shard_info],
                    "lexicon": lexicon}
        manifest_path = self.folder / MANIFEST
        _replace(manifest_path, json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        live[MANIFEST] = str(manifest_path)
        size += manifest_path.stat().st_size

        self._save_state({"version": STATE_VERSION, "frame": frame, "engine": str(engine), "docs": docs,
                          "shards": {info["id"]: {"digest": digest_of[info["id"]], "live": info["names"],
                                                  "skip": info["skip"], "bytes": info["bytes"]}
                                     for info in shard_info}})
        first = (f"{shard_info[0]['id']}/pagefind-entry.json?ts={shard_info[0]['entry']}",
                 *(f"{shard_info[0]['id']}/{name}" for name in pagefind.meta_files(newest)[:1]))
        return IndexReport(pages=len(articles), bytes=size, files=len(live), shards=len(shards),
                           indexed=len(changed), engine=str(engine), live=live, first=first)

    def publish(self, target: Path, report: IndexReport) -> None:
        """Make `target` (a site's pagefind/ folder) hold exactly the index's files, as hard links.

        A file that is already there with the same bytes is left alone; one whose bytes differ
        is replaced by a new link renamed over it; a file the index no longer uses is removed.
        Nothing is written in place: output/ may be hard-linked into deploy/lib.sh's releases.
        """
        target_dir = os.path.join(target, "")
        made: set[str] = set()
        for rel, source in sorted(report.live.items()):
            dest = target_dir + rel
            folder = os.path.dirname(dest)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            try:
                _link(source, dest)
                continue
            except FileExistsError:
                if _same_file(source, dest, rel):
                    continue
            partial = f"{dest}.{os.getpid()}.part"
            _link(source, partial)
            os.replace(partial, dest)
        for folder, subfolders, names in os.walk(target, topdown=False):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.relpath(path, target).replace(os.sep, "/") not in report.live:
                    os.unlink(path)
            if folder != str(target) and not os.listdir(folder):
                os.rmdir(folder)

    # -- parts -------------------------------------------------------------------------------

    def _engine_files(self, bundle: Path) -> list[str]:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        names = list(pagefind.ENGINE_FILES)
        for language in entry["languages"].values():
            names.append(f"wasm.{language['wasm'].rpartition('/')[2].removeprefix('wasm.')}.pagefind")
        return names

    def _index(self, engine: pagefind.Engine, shards: list[Shard], vocabularies: dict[str, list[str]]) -> dict[str, str]:
        """Write each shard's vocabulary page (its words into `vocabularies`) and run Pagefind on
        its documents; the id of each shard's vocabulary page in its results.

        One lane more than there are cores: a Pagefind process waits on its files for a fifth of
        its time, and a lane's vocabulary (Python) is read while the other lanes' Pagefinds run.
        The largest shards go first, so that the last to finish is a small one.
        """
        skips: dict[str, str] = {}

        def one(shard: Shard) -> None:
            bundle = self.bundles / shard.id
            vocabularies[shard.id] = self._vocabulary(shard.id)
            pagefind.run(engine, self.docs / shard.id, bundle)
            try:
                pagefind.canonicalise(bundle)
                engine_files = pagefind.share_engine(bundle)
                pagefind.tune_engine(bundle)
                pagefind.prune(bundle, pagefind.live_files(bundle) | set(engine_files))
                skips[shard.id] = pagefind.page_id(bundle, VOCABULARY_URL)
            except (OSError, ValueError, IndexError, TypeError, KeyError, cbor2.CBORError) as err:
                raise BuildError([Diagnostic("pagefind", "search",
                                             f"shard {shard.id}: could not read Pagefind's index: {err}")]) from None

        self.bundles.mkdir(parents=True, exist_ok=True)
        largest_first = sorted(shards, key=lambda shard: -len(shard.members))
        with ThreadPoolExecutor(max(1, min(workers() + 1, len(shards)))) as pool:
            for future in [pool.submit(one, shard) for shard in largest_first]:
                future.result()
        return skips

    def _vocabulary(self, shard: str) -> list[str]:
        """The keys of a shard's documents (read from them), written with its vocabulary page."""
        found: set[str] = set()
        folder = self.docs / shard
        for directory, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(directory, name)
                if name.endswith(".html") and not path.endswith(VOCABULARY_PAGE):
                    with open(path, encoding="utf-8") as file:
                        found.update(document_keys(file.read()))
        words = sorted(found)
        _replace(folder / VOCABULARY_PAGE, vocabulary_page(words).encode("utf-8"))
        self.vocab.mkdir(parents=True, exist_ok=True)
        _replace(self.vocab / f"{shard}.txt", "\n".join(words).encode("utf-8"))
        return words

    def _read_vocabulary(self, shard: str) -> list[str]:
        try:
            return (self.vocab / f"{shard}.txt").read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return self._vocabulary(shard)

    def _move(self, rel: str, old: str, new: str) -> None:
        source, target = self.docs / old / rel, self.docs / new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)

    # The state is a pickle, as the build's cache is: at 100,000 articles JSON took 1.1 s of every
    # build to read and write, a pickle 0.2 s. Anything unreadable is no state: index anew.
    def _load_state(self) -> dict:
        try:
            with open(self.state_path, "rb") as file:
                state = pickle.load(file)
        except (OSError, EOFError, ValueError, TypeError, AttributeError, IndexError, pickle.UnpicklingError):
            return {}
        return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}

    def _save_state(self, state: dict) -> None:
        _replace(self.state_path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def _document(article: Article, filing: Filing, glossary: Glossary, config, images: dict) -> str:
    local = _local(article, config.tz)
    filters = {"level": [filing.level], "unit": [filing.unit] if filing.unit else [],
               "author": list(filing.authors), "topic": list(filing.topics), "year": [str(local.year)]}
    image = article.share_image(config.base_path)
    return document(article.title, body_blocks(str(article.body)), glossary, filters=filters,
                    sort_date=int(article.date.stamp), shown_date=format_short_date(article.date, config.tz, True),
                    image=thumbnail_url(image, images, config.base_path) if image else "")


def _local(article: Article, tz):
    return article.date.value.astimezone(tz) if article.date.has_time else article.date.value


def _local_date(article: Article, tz):
    return _local(article, tz).date()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _replace(path: Path, data: bytes) -> None:
    """Write a file whole under a temporary name and rename it over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)


def _link(source: str, dest: str) -> None:
    """A hard link, or a copy where links cannot be made; FileExistsError if `dest` exists."""
    try:
        os.link(source, dest)
    except FileExistsError:
        raise
    except OSError:                                 # another file system, or no hard links
        if os.path.lexists(dest):
            raise FileExistsError(dest) from None
        shutil.copyfile(source, dest)


def _same_file(a: str, b: str, rel: str) -> bool:
    """Whether `b` already has the bytes of `a` (a content-named file of that name always has)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except FileNotFoundError:
        return False
    if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev) or (pagefind.content_named(rel) or rel.startswith("lexicon/")):
        return True
    if sa.st_size != sb.st_size:
        return False
    with open(a, "rb") as first, open(b, "rb") as second:
        return first.read() == second.read()
