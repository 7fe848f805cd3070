"""Index stage: Pagefind builds the search index of the article pages, offline.

The binary comes from the pinned pagefind-bin wheel; nothing is downloaded.
It runs on the staging folder before that folder replaces output/, so a
failed index leaves the previous site in place like any other failure.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import AbstractSet

import cbor2

from .errors import BuildError, Diagnostic

BUNDLE_DIR = "pagefind"
# Pagefind's ready-made interfaces; the portal has its own Vietnamese search page
# (assets/search.js), so these are removed to keep the published site small.
UNUSED_BUNDLE_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
                       "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js")
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class IndexReport:
    """What the index stage produced."""

    pages: int
    bytes: int
    files: int
    live: frozenset[str] = frozenset()      # the bundle's files (relative paths) this index uses


def pagefind_command() -> list[str]:
    """The pinned Pagefind binary shipped inside the pagefind-bin wheel."""
    try:
        import pagefind_bin
    except ImportError:
        raise BuildError([Diagnostic("requirements.txt", "search", "pagefind[bin] is not installed; "
                                     "run pip install -r requirements.txt, or build with --no-search")]) from None
    binary = Path(pagefind_bin.__file__).parent / ("pagefind.exe" if os.name == "nt" else "pagefind")
    return [str(binary)] if binary.exists() else [sys.executable, "-m", "pagefind_bin"]


def build_index(site_dir: Path, glob: str, bundle_cache: Path | None = None, publish: bool = True) -> IndexReport:
    """Index the HTML files matching `glob` in `site_dir` into `site_dir/pagefind/`.

    With `bundle_cache` (a folder in .cache/ kept from build to build) Pagefind writes its bundle
    there and the bundle is then linked into `site_dir`, or, with publish=False, left for
    publish_bundle() to put where it belongs. Pagefind names most of its files by a
    hash of their content and does not write a file that is already there, and writing (each
    file gzipped at the best level) is about half of its time on 10,000 articles: an index
    rebuilt after an edit costs about two thirds of the first one (docs/performance.md).
    """
    work = bundle_cache if bundle_cache is not None else site_dir / BUNDLE_DIR
    if bundle_cache is not None and bundle_cache.is_dir():
        # Pagefind rewrites its fixed-name files (pagefind.js, the entry file…) in place. Remove
        # them first, so it writes new ones: a kept file is hard-linked into the published site,
        # and from there into the releases deploy/lib.sh keeps.
        for path in bundle_cache.iterdir():
            if path.is_file() and not content_named(path.name):
                path.unlink()
    command = [*pagefind_command(), "--site", str(site_dir), "--glob", glob, "--output-path", str(work), "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not run Pagefind: {err}")]) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BuildError([Diagnostic("pagefind", "search", line) for line in detail[-5:] or ["Pagefind failed"]])
    for name in UNUSED_BUNDLE_FILES:
        (work / name).unlink(missing_ok=True)
    try:
        canonicalise(work)
        live = frozenset(live_files(work))
    except (OSError, ValueError, IndexError, TypeError, KeyError, cbor2.CBORError) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not make the index reproducible: {err}")]) from None
    if bundle_cache is not None:
        _prune(work, live)
        if publish:
            publish_bundle(work, site_dir / BUNDLE_DIR, live)
    size = sum(os.stat(os.path.join(work, rel)).st_size for rel in live)
    pages = sum(1 for rel in live if rel.startswith("fragment/"))
    return IndexReport(pages=pages, bytes=size, files=len(live), live=live)


def publish_bundle(bundle: Path, target: Path, live: frozenset[str]) -> None:
    """Make `target` (the pagefind/ folder of a site, new or published) hold exactly the `live`
    files of the kept bundle, as hard links. A content-named file already there has the same
    bytes and is left alone; a fixed-name file whose bytes differ is replaced by a new link
    renamed over it; a file the index no longer uses is removed. Nothing is written in place:
    Pagefind skips the content-named files that exist, and build_index removes the fixed-name
    ones before Pagefind writes them anew."""
    source_dir, target_dir = os.path.join(bundle, ""), os.path.join(target, "")
    made: set[str] = set()
    for rel in sorted(live):
        source, dest = source_dir + rel, target_dir + rel
        folder = rel.rpartition("/")[0]
        if folder not in made:                      # four folders for 10,000 files
            os.makedirs(target_dir + folder, exist_ok=True)
            made.add(folder)
        try:
            _link(source, dest)
            continue
        except FileExistsError:
            if content_named(rel) or _same_bytes(source, dest):
                continue
        partial = f"{dest}.{os.getpid()}.part"
        _link(source, partial)
        os.replace(partial, dest)
    _prune(target, live)


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


def _same_bytes(a: str, b: str) -> bool:
    try:
        if os.stat(a).st_size != os.stat(b).st_size:
            return False
        with open(a, "rb") as first, open(b, "rb") as second:
            return first.read() == second.read()
    except FileNotFoundError:
        return False


def content_named(rel: str) -> bool:
    """Whether a bundle file is named by a hash of its content (two files of that name are equal)."""
    return "/" in rel or rel.endswith(".pf_meta")


def live_files(bundle: Path) -> set[str]:
    """The files of the bundle the current index uses (relative paths): the fixed files, and the
    metadata, word index chunks, fragments and filters its metadata names."""
    live = {p.name for p in bundle.iterdir() if p.is_file() and not p.name.endswith(".pf_meta")}
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    for language in entry["languages"].values():
        live.add(f"pagefind.{language['hash']}.pf_meta")
        meta = _read(bundle / f"pagefind.{language['hash']}.pf_meta")
        live.update(f"fragment/{page[0]}.pf_fragment" for page in meta[1])
        live.update(f"index/{chunk[2]}.pf_index" for chunk in meta[2])
        live.update(f"filter/{item[1]}.pf_filter" for item in meta[3])
    return live


def _prune(bundle: Path, live: AbstractSet[str]) -> None:
    """Delete what earlier indexes left in a bundle folder and this one does not use."""
    for folder in ("", "fragment", "index", "filter"):
        base = os.path.join(bundle, folder)
        if not os.path.isdir(base):
            continue
        with os.scandir(base) as entries:           # 10,000 fragments: no Path object per file
            for entry in entries:
                rel = f"{folder}/{entry.name}" if folder else entry.name
                if rel not in live and entry.is_file():
                    os.unlink(entry.path)


_DIGITS = {"{year}": "[0-9]" * 4, "{month}": "[0-9]" * 2, "{day}": "[0-9]" * 2}


def article_glob(permalink: str) -> str:
    """A glob matching the article pages of a permalink pattern:
    "{year}/{month}/{slug}/" → "[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html".

    It narrows what Pagefind reads (only pages marked data-pagefind-body are indexed anyway):
    with digits for the date parts, the archive's own pages ("2019/trang/2/", "2019/12/trang/2/")
    are not read at all. glob_matches() reads a glob the way Pagefind does.
    """
    parts = [_DIGITS.get(part, "*" if "{" in part else part) for part in permalink.strip("/").split("/")]
    return "/".join(parts) + "/index.html"


def glob_matches(rel: str, glob: str) -> bool:
    """Whether an output path matches a glob the way Pagefind reads it: "*" stays within one folder
    (Python's fnmatch alone would let it cross "/")."""
    parts, patterns = rel.split("/"), glob.split("/")
    return len(parts) == len(patterns) and all(fnmatchcase(p, g) for p, g in zip(parts, patterns))


SIGNATURE = b"pagefind_dcd"


def _read(path: Path) -> object:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind index file")
    return cbor2.loads(data[len(SIGNATURE):])


def _write(folder: Path, prefix: str, suffix: str, value: object, digits: int) -> str:
    """Write `value` as a Pagefind file named by the hash of its content; return the hash part."""
    payload = SIGNATURE + cbor2.dumps(value)
    name = f"{prefix}_{hashlib.sha256(payload).hexdigest()[:digits]}"
    path = folder / f"{name}{suffix}"
    # A file of that name has these bytes. It may be hard-linked into a published site: never
    # write it again in place.
    if not path.exists():
        path.write_bytes(gzip.compress(payload, mtime=0))
    return name


def canonicalise(bundle: Path) -> None:
    """Make Pagefind's output byte-identical from build to build.

    Pagefind 1.5 writes the values of each filter, and the list of filters,
    in hash-map order, which changes from run to run (its fragments and word
    index are already stable). Sort them, name each rewritten file by a hash
    of its content, and point the metadata file and pagefind-entry.json at
    the new names. The files stay Pagefind's own format (gzip + CBOR).
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = entry_path.read_text(encoding="utf-8")
    # the metadata files this run wrote, by the entry file (a kept bundle also holds older ones)
    current = [language["hash"] for language in json.loads(entry)["languages"].values()]
    for meta_path in [bundle / f"pagefind.{name}.pf_meta" for name in sorted(current)]:
        old_meta = meta_path.name[len("pagefind."):-len(".pf_meta")]
        language = old_meta.split("_")[0]
        meta = _read(meta_path)
        filters_dir = bundle / "filter"
        renamed = []
        for name, old_hash in meta[3]:
            old_file = filters_dir / f"{old_hash}.pf_filter"
            filter_name, values = _read(old_file)
            values = sorted(([value, sorted(pages)] for value, pages in values), key=lambda item: item[0])
            new_hash = _write(filters_dir, language, ".pf_filter", [filter_name, values], 7)
            if new_hash != old_hash:
                old_file.unlink()
            renamed.append([name, new_hash])
        meta[3] = sorted(renamed)
        new_meta = _write(bundle, f"pagefind.{language}", ".pf_meta", meta, 10)[len("pagefind."):]
        if new_meta != old_meta:
            meta_path.unlink()
        entry = entry.replace(f'"{old_meta}"', f'"{new_meta}"')
    entry_path.write_text(entry, encoding="utf-8")
