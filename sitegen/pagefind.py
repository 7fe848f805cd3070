"""Pagefind, the search engine: finding the binary, running it on a folder, and its bundle's files.

The binary is Pagefind 1.6 from npm (package.json pins `pagefind`; `npm ci` puts the binary in
node_modules/@pagefind/<platform>/), and where npm is absent the pinned pagefind-bin wheel
(1.5.2) of requirements.txt. 1.6 searches a common word about four times faster in the browser.
Nothing is downloaded. PORTAL_PAGEFIND=pip (or npm, or a path to a binary) chooses one.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cbor2

from .errors import BuildError, Diagnostic

GENERATOR = Path(__file__).resolve().parent.parent     # the folder of build.py
TIMEOUT_SECONDS = 900
# Pagefind's ready-made interfaces; the portal has its own Vietnamese search page
# (assets/search.js), so these are not published.
UNUSED_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
                "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js")
ENGINE_FILES = ("pagefind.js", "pagefind-worker.js")   # and the wasm.*.pagefind named by the entry
_NPM_PLATFORMS = {("linux", "x86_64"): "linux-x64", ("linux", "aarch64"): "linux-arm64",
                  ("darwin", "arm64"): "darwin-arm64", ("darwin", "x86_64"): "darwin-x64",
                  ("freebsd", "amd64"): "freebsd-x64", ("windows", "amd64"): "windows-x64",
                  ("windows", "arm64"): "windows-arm64"}


@dataclass(frozen=True)
class Engine:
    """A Pagefind binary: how to run it, its version, and where it came from ("npm" or "pip")."""

    command: tuple[str, ...]
    version: str
    source: str

    def __str__(self) -> str:
        return f"Pagefind {self.version} ({self.source})"


def find_engine(root: Path) -> Engine:
    """The Pagefind to use for the site at `root` (see the module's docstring)."""
    wanted = os.environ.get("PORTAL_PAGEFIND", "").strip()
    if wanted and wanted not in ("npm", "pip"):
        return _engine((wanted,), "PORTAL_PAGEFIND")
    if wanted != "pip":
        for folder in dict.fromkeys((root.resolve(), GENERATOR)):
            binary = _npm_binary(folder)
            if binary is not None:
                return _engine((str(binary),), "npm")
        if wanted == "npm":
            raise BuildError([Diagnostic("package.json", "search", "PORTAL_PAGEFIND=npm, but npm's Pagefind is not "
                                         "installed: run npm ci (scripts/install.sh does)")])
    try:
        import pagefind_bin
    except ImportError:
        raise BuildError([Diagnostic("requirements.txt", "search", "Pagefind is not installed: run "
                                     "scripts/install.sh (npm ci, or pip install -r requirements.txt), "
                                     "or build with --no-search")]) from None
    binary = Path(pagefind_bin.__file__).parent / ("pagefind.exe" if os.name == "nt" else "pagefind")
    command = (str(binary),) if binary.exists() else (sys.executable, "-m", "pagefind_bin")
    return _engine(command, "pip")


def _npm_binary(folder: Path) -> Path | None:
    system, machine = platform.system().lower(), platform.machine().lower()
    name = _NPM_PLATFORMS.get((system, machine))
    if name is None:
        return None
    bin_dir = folder / "node_modules" / "@pagefind" / name / "bin"
    for candidate in ("pagefind_extended", "pagefind"):
        path = bin_dir / (candidate + (".exe" if system == "windows" else ""))
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


@lru_cache(maxsize=8)
def _engine(command: tuple[str, ...], source: str) -> Engine:
    try:
        done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not run Pagefind ({source}): {err}")]) from None
    version = (done.stdout or "").strip().split()[-1:] or ["?"]
    if done.returncode != 0 or not version[0][:1].isdigit():
        raise BuildError([Diagnostic("pagefind", "search", f"{' '.join(command)} --version failed: "
                                     f"{(done.stderr or done.stdout).strip()[:200]}")])
    major_minor = tuple(int(p) for p in version[0].split(".")[:2] if p.isdigit())
    if major_minor < (1, 5):
        raise BuildError([Diagnostic("pagefind", "search", f"Pagefind {version[0]} is too old: the portal's search "
                                     "needs 1.5 or newer (run scripts/install.sh)")])
    return Engine(command, version[0], source)


def run(engine: Engine, site: Path, output: Path) -> None:
    """Index every HTML file of `site` into the bundle folder `output`.

    Pagefind names most of its files by a hash of their content and does not write one that is
    already there; the few files it names the same every time are removed first, so that it
    writes them anew rather than into a file that may be hard-linked into a published site.
    """
    if output.is_dir():
        for path in output.iterdir():
            if path.is_file() and not content_named(path.name):
                path.unlink()
    command = [*engine.command, "--site", str(site), "--output-path", str(output), "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BuildError([Diagnostic("pagefind", "search", f"could not run Pagefind: {err}")]) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BuildError([Diagnostic("pagefind", "search", line) for line in detail[-5:] or ["Pagefind failed"]])
    for name in UNUSED_FILES:
        (output / name).unlink(missing_ok=True)


def content_named(rel: str) -> bool:
    """Whether a bundle file is named by a hash of its content (two files of that name are equal)."""
    return rel.endswith((".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter"))


SIGNATURE = b"pagefind_dcd"


def read(path: Path) -> object:
    """A Pagefind index file's value (gzip + signature + CBOR)."""
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

    Pagefind writes the values of each filter, and the list of filters, in hash-map order, which
    changes from run to run (its fragments and word index are already stable). Sort them, name
    each rewritten file by a hash of its content, and point the metadata file and
    pagefind-entry.json at the new names. The files stay Pagefind's own format (gzip + CBOR).
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = entry_path.read_text(encoding="utf-8")
    current = [language["hash"] for language in json.loads(entry)["languages"].values()]
    for meta_path in [bundle / f"pagefind.{name}.pf_meta" for name in sorted(current)]:
        old_meta = meta_path.name[len("pagefind."):-len(".pf_meta")]
        language = old_meta.split("_")[0]
        meta = read(meta_path)
        filters_dir = bundle / "filter"
        renamed = []
        for name, old_hash in meta[3]:
            old_file = filters_dir / f"{old_hash}.pf_filter"
            filter_name, values = read(old_file)
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


def share_engine(bundle: Path) -> list[str]:
    """Point a shard's entry file at the engine files one folder up, and return their names.

    Each shard is a bundle of its own in pagefind/<shard>/, but the search page loads Pagefind's
    script and WebAssembly once, from pagefind/: Pagefind fetches the WebAssembly from
    "<bundle>wasm.<name>.pagefind", <name> read from the entry file, so the entry names it
    "x/../../wasm.<language>", a path that the browser resolves to pagefind/wasm.<language>.pagefind.
    Every shard then asks for the same address, which the browser fetches once.
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    names = engine_files(entry)
    for language in entry["languages"].values():
        language["wasm"] = f"x/../../wasm.{_wasm_name(language)}"
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return names


def engine_files(entry: dict) -> list[str]:
    """The engine files a bundle's entry (its pagefind-entry.json, read) needs, shared or not:
    ENGINE_FILES and the WebAssembly of each of its languages."""
    return sorted({*ENGINE_FILES, *(f"wasm.{_wasm_name(language)}.pagefind" for language in entry["languages"].values())})


def _wasm_name(language: dict) -> str:
    wasm = language.get("wasm") or "unknown"
    return wasm.rpartition("/")[2].removeprefix("wasm.")      # already shared: its own name


# Pagefind's search() waits for its index's metadata by polling every 50 ms (getPtr), so a
# search asked for as the page opens, before the metadata has arrived (as the search page does),
# starts up to 50 ms after Pagefind is ready. The engine the site publishes polls every 4 ms. A
# Pagefind whose code differs is published as it is: its searches are correct, only later.
_POLL = ("async getPtr(){while(this.raw_ptr===null){if(this.initError){throw this.initError;}"
         "await asyncSleep(50);}")
_QUICK_POLL = _POLL.replace("asyncSleep(50)", "asyncSleep(4)")


def tune_engine(bundle: Path) -> bool:
    """Give a bundle's freshly written pagefind.js the shorter poll (above); whether it changed.

    Pagefind writes the file anew on every run (`run` removes the old one first), so it can be
    written in place: it is not yet linked into a published site.
    """
    path = bundle / "pagefind.js"
    script = path.read_text(encoding="utf-8")
    if script.count(_POLL) != 1:
        return False
    path.write_text(script.replace(_POLL, _QUICK_POLL), encoding="utf-8")
    return True


def meta_files(bundle: Path) -> list[str]:
    """The metadata files a shard's entry names, the language with the most pages first (the
    one Pagefind loads for a page in none of its languages)."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    languages = sorted(entry["languages"].values(), key=lambda language: -language.get("page_count", 0))
    return [f"pagefind.{language['hash']}.pf_meta" for language in languages]


def live_files(bundle: Path) -> set[str]:
    """The files of a shard's bundle its index uses (relative paths): the entry, and the metadata,
    word index chunks, fragments and filters its metadata names."""
    live = {"pagefind-entry.json"}
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    for language in entry["languages"].values():
        live.add(f"pagefind.{language['hash']}.pf_meta")
        meta = read(bundle / f"pagefind.{language['hash']}.pf_meta")
        live.update(f"fragment/{page[0]}.pf_fragment" for page in meta[1])
        live.update(f"index/{chunk[2]}.pf_index" for chunk in meta[2])
        live.update(f"filter/{item[1]}.pf_filter" for item in meta[3])
    return live


def page_id(bundle: Path, url: str) -> str:
    """The id Pagefind gives in its results to the page at `url` of a shard's bundle ("" if none).

    The pages are tried longest first (the metadata gives each page's word count), as the one
    looked for, a shard's vocabulary page, is the longest by far.
    """
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    for language in entry["languages"].values():
        meta = read(bundle / f"pagefind.{language['hash']}.pf_meta")
        for page in sorted(meta[1], key=lambda page: -page[1]):
            data = gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment").read_bytes())
            if data.startswith(SIGNATURE) and json.loads(data[len(SIGNATURE):]).get("url") == url:
                return page[0]
    return ""


def prune(bundle: Path, keep: set[str]) -> None:
    """Delete what earlier runs left in a bundle folder and `keep` does not name."""
    for folder in ("", "fragment", "index", "filter"):
        base = os.path.join(bundle, folder)
        if not os.path.isdir(base):
            continue
        with os.scandir(base) as entries:           # 10,000 fragments: no Path object per file
            for entry in entries:
                rel = f"{folder}/{entry.name}" if folder else entry.name
                if rel not in keep and entry.is_file():
                    os.unlink(entry.path)
