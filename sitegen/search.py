"""Index stage: Pagefind builds the search index of the article pages, offline.

The binary comes from the pinned pagefind-bin wheel; nothing is downloaded.
It runs on the staging folder before that folder replaces output/, so a
failed index leaves the previous site in place like any other failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

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


def pagefind_command() -> list[str]:
    """The pinned Pagefind binary shipped inside the pagefind-bin wheel."""
    try:
        import pagefind_bin
    except ImportError:
        raise BuildError([Diagnostic("requirements.txt", "search", "pagefind[bin] is not installed; "
                                     "run pip install -r requirements.txt, or build with --no-search")]) from None
    binary = Path(pagefind_bin.__file__).parent / ("pagefind.exe" if os.name == "nt" else "pagefind")
    return [str(binary)] if binary.exists() else [sys.executable, "-m", "pagefind_bin"]


def build_index(site_dir: Path, glob: str) -> IndexReport:
    """Index the HTML files matching `glob` in `site_dir` into `site_dir/pagefind/`."""
    command = [*pagefind_command(), "--site", str(site_dir), "--glob", glob, "--output-subdir", BUNDLE_DIR, "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not run Pagefind: {err}")]) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BuildError([Diagnostic("pagefind", "search", line) for line in detail[-5:] or ["Pagefind failed"]])
    bundle = site_dir / BUNDLE_DIR
    for name in UNUSED_BUNDLE_FILES:
        (bundle / name).unlink(missing_ok=True)
    try:
        canonicalise(bundle)
    except (OSError, ValueError, IndexError, TypeError, cbor2.CBORError) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not make the index reproducible: {err}")]) from None
    files = [p for p in bundle.rglob("*") if p.is_file()]
    pages = len(list((bundle / "fragment").glob("*"))) if (bundle / "fragment").is_dir() else 0
    return IndexReport(pages=pages, bytes=sum(p.stat().st_size for p in files), files=len(files))


def article_glob(permalink: str) -> str:
    """A glob matching the article pages of a permalink pattern: "{year}/{month}/{slug}/" → "*/*/*/index.html".

    It narrows what Pagefind reads; only pages marked data-pagefind-body are indexed anyway.
    """
    parts = [("*" if "{" in part else part) for part in permalink.strip("/").split("/")]
    return "/".join(parts) + "/index.html"


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
    (folder / f"{name}{suffix}").write_bytes(gzip.compress(payload, mtime=0))
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
    for meta_path in sorted(bundle.glob("pagefind.*.pf_meta")):
        old_meta = meta_path.name[len("pagefind."):-len(".pf_meta")]
        language = old_meta.split("_")[0]
        meta = _read(meta_path)
        filters_dir = bundle / "filter"
        renamed = []
        for name, old_hash in meta[3]:
            old_file = filters_dir / f"{old_hash}.pf_filter"
            filter_name, values = _read(old_file)
            values = sorted(([value, sorted(pages)] for value, pages in values), key=lambda item: item[0])
            old_file.unlink()
            renamed.append([name, _write(filters_dir, language, ".pf_filter", [filter_name, values], 7)])
        meta[3] = sorted(renamed)
        meta_path.unlink()
        new_meta = _write(bundle, f"pagefind.{language}", ".pf_meta", meta, 10)[len("pagefind."):]
        entry = entry.replace(f'"{old_meta}"', f'"{new_meta}"')
    entry_path.write_text(entry, encoding="utf-8")
