"""Index stage: the search index of the articles, in shards, kept in .cache/ between builds.

    articles ──▶ search documents ──▶ shards (by date) ──▶ Pagefind, per changed shard ──▶ lexicon ──▶ pagefind/

Everything is written in .cache/<build>.search/ first: the search documents (searchdocs.py) in
docs/<shard>/, each shard's Pagefind bundle in bundles/<shard>/, each shard's vocabulary in
vocab/<shard>.txt, the lexicon (lexicon.py) and shards.json. Nothing of output/ changes until
publish(), which the build calls once every stage has succeeded, so a failed index leaves the
previous site as it was.

An article's document is written again only when the article, the names it is filed under, or
the settings documents depend on changed; a shard is indexed again only when one of its documents
changed. Documents are written by forked workers, shard by shard, and Pagefind starts on a shard
as soon as its documents are written, on as many shards at once as there are cores. The
published tree:

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
from typing import Callable, Sequence

import cbor2

from . import pagefind
from .errors import BuildError, Diagnostic
from .i18n import format_short_date
from .lexicon import lexicon_files
from .models import Article
from .parallel import MIN_ITEMS, each_done, workers
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

        # 1. documents: which to write; those only filed in another shard are moved, and the old
        # files of those written elsewhere or gone removed, before any shard is indexed
        docs, todo = self._plan_documents(articles, digests, filings, known, shard_of)
        previous = state.get("shards", {})
        for gone in previous.keys() - {shard.id for shard in shards}:
            discard(self.docs / gone)
            discard(self.bundles / gone)
            (self.vocab / f"{gone}.txt").unlink(missing_ok=True)

        # 2. documents written and shards indexed in one pipeline
        digest_of: dict[str, str] = {}
        vocabularies: dict[str, list[str]] = {}
        changed, skips = self._write_and_index(
            engine, articles, shards, todo, docs, previous, digest_of, vocabularies,
            lambda n: _document(articles[n], filings[articles[n].source], glossary, config, images))

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
        for name in pagefind.engine_files(json.loads((newest / "pagefind-entry.json").read_bytes())):
            live[name] = str(newest / name)
            size += os.stat(live[name]).st_size
        lexicon, files = lexicon_files([vocabularies.get(s.id) or self._read_vocabulary(s.id, [
            articles[n].route.file for n in s.members]) for s in shards])
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

    def _plan_documents(self, articles: Sequence[Article], digests: dict[str, bytes], filings: dict[str, Filing],
                        known: dict[str, list], shard_of: dict[int, str]) -> tuple[dict[str, list], list[int]]:
        """Each article's entry of the state, [shard, key of its inputs, digest of its document]
        (the digest "" until the document is written), and the articles whose documents are to be
        written. A document filed in another shard but otherwise unchanged is moved there; the old
        file of one to be written in another shard, or of an article gone, is removed: all before
        any shard is indexed, as Pagefind must not read a shard whose files change under it.
        """
        docs: dict[str, list] = {}
        todo: list[int] = []
        for n, article in enumerate(articles):
            filing = filings[article.source]
            # a plain tuple's repr: a dataclass's took 0.25 s of every build at 100,000 articles
            key = _digest(repr((digests[article.source], filing.level, filing.unit, filing.authors, filing.topics))) \
                if article.source in digests else ""
            rel = article.route.file
            had = known.get(rel)
            if not key or had is None or had[1] != key:
                todo.append(n)
                if had is not None and had[0] != shard_of[n]:
                    (self.docs / had[0] / rel).unlink(missing_ok=True)
                docs[rel] = [shard_of[n], key, ""]
                continue
            if had[0] != shard_of[n] and not self._move(rel, had[0], shard_of[n]):
                todo.append(n)                          # (gone from .cache: written again)
                docs[rel] = [shard_of[n], key, ""]
                continue
            docs[rel] = [shard_of[n], key, had[2]]
        for rel in known.keys() - docs.keys():          # articles gone (or moved to another address)
            (self.docs / known[rel][0] / rel).unlink(missing_ok=True)
        return docs, todo

    def _write_and_index(self, engine: pagefind.Engine, articles: Sequence[Article], shards: list[Shard],
                         todo: list[int], docs: dict[str, list], previous: dict, digest_of: dict[str, str],
                         vocabularies: dict[str, list[str]],
                         make: Callable[[int], tuple[str, list[str]]]) -> tuple[list[Shard], dict]:
        """Write the documents of `todo` (made by `make`; their digests into `docs`) and index
        every shard whose documents changed; each shard's digest into `digest_of`, the indexed
        shards' words into `vocabularies`. The shards indexed, and the id of each one's
        vocabulary page in its results.

        One pipeline: forked workers write the documents shard by shard, the largest shard first,
        and Pagefind starts on a shard as soon as its documents are written (cold, at 10,000
        articles, it waited 3.3 s for all of them before). Pagefind runs in as many lanes as there
        are cores: beside the workers, one lane more cost about 1 s more CPU time (median of 7 pairs,
        benchmarks/results/2026-12-06-search-10k-pipeline.txt).
        """
        to_write: dict[str, list[int]] = {}
        for n in todo:
            to_write.setdefault(docs[articles[n].route.file][0], []).append(n)

        def digest(shard: Shard) -> str:
            rels = (articles[n].route.file for n in shard.members)
            return _digest("\n".join(sorted(f"{rel} {docs[rel][2]}" for rel in rels)))

        def stale(shard: Shard) -> bool:
            digest_of[shard.id] = digest(shard)
            return previous.get(shard.id, {}).get("digest") != digest_of[shard.id] \
                or not (self.bundles / shard.id / "pagefind-entry.json").is_file()

        # the shards to look at: those with documents to write, and those changed without any
        # (an article gone, or moved to another shard)
        groups = [(shard, to_write.get(shard.id, [])) for shard in sorted(shards, key=lambda s: -len(s.members))
                  if shard.id in to_write or stale(shard)]

        def write(group: int) -> tuple[list[tuple[int, str]], set[str]]:
            shard, members = groups[group]
            return self._write_documents(shard.id, [(n, articles[n].route.file) for n in members], make)

        skips: dict[str, str] = {}

        def index(shard: Shard, fresh: set[str], written: set[int]) -> None:
            vocabularies[shard.id] = self._vocabulary(
                shard.id, fresh, [articles[n].route.file for n in shard.members if n not in written])
            skips[shard.id] = self._index_shard(engine, shard.id)

        self.bundles.mkdir(parents=True, exist_ok=True)
        changed: list[Shard] = []
        running = []
        lanes = ThreadPoolExecutor(max(1, min(workers(), len(groups))))
        try:
            # Few documents are written here, with no workers to fork (an edit: one document).
            for group, (made, words) in each_done(write, len(groups), fork=len(todo) >= MIN_ITEMS):
                for n, digest_made in made:
                    docs[articles[n].route.file][2] = digest_made
                shard = groups[group][0]
                if not made or stale(shard):            # (a group with nothing to write is stale)
                    changed.append(shard)
                    running.append(lanes.submit(index, shard, words, {n for n, _ in made}))
            for future in running:
                future.result()
        finally:
            lanes.shutdown(wait=True, cancel_futures=True)
        return changed, skips

    def _write_documents(self, shard: str, members: list[tuple[int, str]],
                         make: Callable[[int], tuple[str, list[str]]]) -> tuple[list[tuple[int, str]], set[str]]:
        """Write the documents of `members` (article number, path) in a shard's folder: the digest
        of each, and the keys of all."""
        folder = os.path.join(self.docs, shard, "")
        made, words, folders = [], set(), set()
        for n, rel in members:
            text, keys = make(n)
            data = text.encode("utf-8")
            path = folder + rel
            parent = os.path.dirname(path)
            if parent not in folders:
                os.makedirs(parent, exist_ok=True)
                folders.add(parent)
            _write_file(path, data)
            made.append((n, hashlib.sha256(data).hexdigest()[:16]))
            words.update(keys)
        return made, words

    def _index_shard(self, engine: pagefind.Engine, shard: str) -> str:
        """Run Pagefind on a shard's documents and make its bundle ready to publish; the id of
        the shard's vocabulary page in its results."""
        bundle = self.bundles / shard
        pagefind.run(engine, self.docs / shard, bundle)
        try:
            pagefind.canonicalise(bundle)
            engine_files = pagefind.share_engine(bundle)
            pagefind.tune_engine(bundle)
            pagefind.prune(bundle, pagefind.live_files(bundle) | set(engine_files))
            return pagefind.page_id(bundle, VOCABULARY_URL)
        except (OSError, ValueError, IndexError, TypeError, KeyError, cbor2.CBORError) as err:
            raise BuildError([Diagnostic("pagefind", "search",
                                         f"shard {shard}: could not read Pagefind's index: {err}")]) from None

    def _vocabulary(self, shard: str, fresh: set[str], others: list[str]) -> list[str]:
        """A shard's keys: `fresh` (those of the documents just written) and those its `others`
        list (documents written before, read back), written with its vocabulary page."""
        found = set(fresh)
        folder = os.path.join(self.docs, shard, "")
        for rel in others:
            with open(folder + rel, encoding="utf-8") as file:
                found.update(document_keys(file.read()))
        words = sorted(found)
        _replace(self.docs / shard / VOCABULARY_PAGE, vocabulary_page(words).encode("utf-8"))
        self.vocab.mkdir(parents=True, exist_ok=True)
        _replace(self.vocab / f"{shard}.txt", "\n".join(words).encode("utf-8"))
        return words

    def _read_vocabulary(self, shard: str, members: list[str]) -> list[str]:
        try:
            return (self.vocab / f"{shard}.txt").read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return self._vocabulary(shard, set(), members)

    def _move(self, rel: str, old: str, new: str) -> bool:
        """Move a document to another shard's folder; False if it is not there to move."""
        source, target = self.docs / old / rel, self.docs / new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            return False
        return True

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


def _document(article: Article, filing: Filing, glossary: Glossary, config, images: dict) -> tuple[str, list[str]]:
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
    _rename_into(str(path), data)


def _write_file(path: str, data: bytes) -> None:
    """Write a search document (its folder exists): a new one in place (a cold index skips
    10,000 renames), one that exists as _replace does. If the build stops half-way, the next one
    finds the state of the last build that finished, which has no document at that path, and
    writes it again. (Only documents: a half-written lexicon file, say, would be kept.)"""
    try:
        with open(path, "xb") as file:
            file.write(data)
    except FileExistsError:
        _rename_into(path, data)


def _rename_into(path: str, data: bytes) -> None:
    folder, name = os.path.split(path)
    partial = os.path.join(folder, f".{name}.{os.getpid()}.part")
    with open(partial, "wb") as file:
        file.write(data)
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
