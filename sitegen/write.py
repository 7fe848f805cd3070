"""Write stage: fingerprinted assets and an output folder that is never half-written."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import Diagnostic

ASSETS_DIR = "assets"
# Browsers ask for these at the site's root by fixed names, so they are published there too.
ROOT_FILES = ("favicon.ico",)
WHOLE_FILE_BYTES = 1 << 20     # files up to this size are hashed from one read


def fingerprint_assets(root: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """Map each file of assets/ to a content-hashed output path.

    "style.css" -> "assets/style.1a2b3c4d.css": the name changes when the bytes
    do, so a server may tell browsers to cache assets for a year.
    """
    base = root / ASSETS_DIR
    names: dict[str, str] = {}
    sources: dict[str, Path] = {}
    if not base.is_dir():
        return names, sources
    for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(base).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, ext = rel.rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{rel}.{digest}"
        names[rel] = f"{ASSETS_DIR}/{hashed}"
        sources[f"{ASSETS_DIR}/{hashed}"] = path
        if rel in ROOT_FILES:
            sources[rel] = path
    return names, sources


def check_output_dir(root: Path, out: Path) -> list[Diagnostic]:
    """Refuse output folders whose replacement would destroy sources."""
    root, out = root.resolve(), out.resolve()
    shown = str(out)
    if out == root or root.is_relative_to(out):
        return [Diagnostic(shown, "output", "is the site folder or contains it; choose a folder such as output/")]
    for name in ("content", "templates", "assets", ".git"):
        if out.is_relative_to(root / name):
            return [Diagnostic(shown, "output", f"is inside {name}/; choose a folder such as output/")]
    # An existing folder that looks like a site or a repository is not a build
    # result: replacing it would delete someone's work.
    for name in ("site.yaml", ".git", "content", "templates"):
        if (out / name).exists():
            return [Diagnostic(shown, "output", f"contains {name}; choose a folder such as output/")]
    return []


def staging_dir(out: Path) -> Path:
    """A fresh, empty staging folder beside `out` (same file system: its files can be renamed in)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def make_parent(base: Path, rel: str, made: set[str]) -> None:
    """Create the folder of `base/rel`; `made` remembers the folders already there (one
    mkdir per folder, not per file: a site has a folder per article)."""
    folder = rel.rpartition("/")[0]
    if folder and folder not in made:
        path = os.path.join(base, folder)
        # Its parent is usually there already (an article's folder in its month's): one mkdir,
        # not makedirs' walk up the path (~25 µs less a folder, 10,000 folders a build).
        try:
            os.mkdir(path)
        except FileNotFoundError:
            os.makedirs(path, exist_ok=True)
        except FileExistsError:
            if not os.path.isdir(path):
                raise
        made.add(folder)


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_file(staging: Path, rel: str, data: bytes, made: set[str]) -> None:
    """Write one output file under `staging`; `made` remembers the folders already created."""
    make_parent(staging, rel, made)
    # os.open and os.write, not open(): a page is written in one call, and the buffered file
    # object open() builds around it cost ~40 µs a file (measured on 5,000 files of 30 KB).
    fd = os.open(os.path.join(staging, rel), _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def stage_copies(staging: Path, copies: dict[str, Path]) -> None:
    """Copy files (assets, images of content/) into the staging folder."""
    made: set[str] = set()
    for rel, source in copies.items():
        make_parent(staging, rel, made)
        shutil.copyfile(source, staging / rel)


def swap_output(staging: Path, out: Path) -> None:
    """Replace `out` with the finished `staging` folder.

    Two renames on the same file system: `out` is either the previous site or
    the new one, never a mix. If the second rename fails, the first is undone.
    """
    out = out.resolve()
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        if old.exists():
            os.rename(old, out)
        discard(staging)
        raise
    shutil.rmtree(old, ignore_errors=True)


def discard(staging: Path) -> None:
    """Remove a staging folder after a failure."""
    shutil.rmtree(staging, ignore_errors=True)


def file_key(data: bytes) -> str:
    """What the output manifest remembers of a written file: a digest of its bytes, the same as
    file_digest() gives for a file holding them.

    SHA-256, cut to 128 bits: on a processor with SHA instructions (this machine's, most recent
    x86 and ARM ones) OpenSSL hashes a 30 KB page in ~22 µs with it, ~52 µs with BLAKE2b
    (measured here), and every page and article is hashed on every cold build."""
    return hashlib.sha256(data).hexdigest()[:32]


def plan_copies(out: Path, copies: dict[str, Path], previous: dict[str, str]) -> tuple[dict[str, Path], dict[str, str]]:
    """The files to copy again (their bytes changed, or the copy in `out` is missing or differs in
    size), and the manifest entries of every copied file.

    An entry is the source's identity (path, inode, size, time) and a digest of its bytes. A source
    whose identity is the one recorded is not read; one that looks different (a fresh checkout,
    as every server deploy is) is read and hashed, and copied only if its bytes changed, so the
    published copy keeps its inode and a release's hard-linked copy of the site shares it.
    """
    manifest: dict[str, str] = {}
    copy: dict[str, Path] = {}
    for rel, source in copies.items():
        st = source.stat()
        identity = f"copy:{source}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
        old_identity, _, old_digest = previous.get(rel, "").rpartition("|")
        digest = old_digest if old_identity == identity else file_digest(source)
        manifest[rel] = f"{identity}|{digest}"
        if digest != old_digest or not same_size(out / rel, st.st_size):
            copy[rel] = source
    return copy, manifest


def file_digest(path: str | Path) -> str:
    """A digest of a file's bytes: read at once when it is small (an article, most photos), in
    blocks when it is large. hashlib.file_digest zeroes a 256 KB buffer for every file, which
    cost more than hashing a 3 KB article."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size <= WHOLE_FILE_BYTES:
            return file_key(handle.read())
        return hashlib.file_digest(handle, hashlib.sha256).hexdigest()[:32]


def same_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def commit_changes(out: Path, staging: Path, changed: set[str], expected: set[str], previous: dict[str, str],
                   keep: tuple[str, ...] = ()) -> int:
    """Update an existing output folder in two phases, so a failure never leaves it half-written.

    Phase 1 (done by the caller) wrote every changed file into `staging` beside `out`; a failure
    there removes the staging folder and `out` is untouched. Phase 2, here, moves each file into
    place (a rename on the same file system) and deletes the files no longer produced (except
    under `keep`): those the last build's manifest (`previous`) lists, or, without one, any file
    found in `out`. Returns the number of files deleted.
    """
    out = out.resolve()
    try:
        made: set[str] = set()
        for rel in sorted(changed):
            make_parent(out, rel, made)
            os.replace(staging / rel, out / rel)
    finally:
        discard(staging)
    if previous:
        return _delete_listed(out, sorted(previous.keys() - expected), keep)
    deleted = 0
    for dirpath, dirnames, filenames in os.walk(out, topdown=False):
        rel_dir = Path(dirpath).relative_to(out).as_posix()
        if rel_dir != "." and rel_dir.split("/")[0] in keep:
            continue
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel not in expected and rel.split("/")[0] not in keep:
                os.unlink(Path(dirpath) / name)
                deleted += 1
        if rel_dir != "." and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return deleted


def _delete_listed(out: Path, gone: list[str], keep: tuple[str, ...]) -> int:
    """Delete these files of `out`, then the folders they leave empty."""
    deleted = 0
    folders: set[str] = set()
    for rel in gone:
        if rel.split("/")[0] in keep:
            continue
        try:
            os.unlink(out / rel)
            deleted += 1
        except FileNotFoundError:
            pass
        folder = rel.rpartition("/")[0]
        while folder:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    for folder in sorted(folders, key=lambda f: -f.count("/")):     # deepest first
        try:
            os.rmdir(out / folder)
        except OSError:
            pass        # not empty: something else still lives there
    return deleted
