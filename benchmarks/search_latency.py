#!/usr/bin/env python3
"""Search latency at archive scale: index time and memory, then Vietnamese queries in Chromium.

    python benchmarks/search_latency.py --articles 10000 [100000 ...] [--work /tmp/portal-bench]
        [--profiles fast,phone] [--queries LABEL,...] [--skip-build] [--timeout 120] [--out FILE]
        [--server nginx|python] [--settle 0.5]

For each corpus size (the articles of ../shared/bench/make_corpus.py, see benchmarks/corpus.py):
  1. `build.py` with search runs as a separate process (no output/, no .cache/); the memory of its
     whole process tree is sampled from /proc every 20 ms. One article is then edited and the site
     built again: the index time after an edit.
  2. output/ is served on 127.0.0.1 by deploy/nginx.conf itself, in an nginx of its own
     (benchmarks/nginx.py; bytes counted from its access log), or where nginx is not installed
     (or with --server python) by this script's server, in a process of its own, which copies
     what matters of it (gzip level 5 for text, Pagefind's own files as they are, with
     Content-Encoding: gzip), with keep-alive.
  3. Each query of QUERIES opens /tim-kiem/?q=… in a fresh Chromium context (empty cache) for each
     profile, --settle seconds after the context was made (see SETTLE), and waits until the page
     says it is done.
A plain-text report is printed (and written to --out). Nothing is asserted: the figures are this
machine's. The search page's contract, which this measures:
  - #search-app gets data-state="done" when every result is known;
  - performance.mark("portal-search:first") when the first page of results (up to ten) or the
    "nothing found" message is on screen, performance.mark("portal-search:done") when all are known.
A page without the marks (the page before the rewrite) is timed by the moment data-state became
"done" (a MutationObserver installed before the page's own scripts), for both figures.

This script is longer than the ~400 lines of a module because it stands alone (build, server,
browser, report in one file) and imports nothing from tests/.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median
from typing import Iterator
from urllib.parse import unquote, urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import nginx  # noqa: E402
from benchmarks.corpus import child_env, empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402


@dataclass(frozen=True)
class Query:
    """One search as a reader would type it: the words and the filters of the page's address."""

    label: str                                    # its kind and a number: --queries picks by label or kind
    text: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        pairs = ([("q", self.text)] if self.text else []) + list(self.params)
        return "/tim-kiem/?" + urlencode(pairs)

    def describe(self) -> str:
        return " ".join([f"“{self.text}”" if self.text else "(no words)"] + [f"{k}={v}" for k, v in self.params])


# Every word of a generated article's body comes from a 597-word vocabulary (the seed articles),
# drawn ~300 times per article, so even a word the seeds use once is in ~10 % of the articles: the
# corpus has no rare words as such. Counted once on the 10,000-article corpus (seed 1, title +
# summary + body, diacritics folded): the rarest word is "THPT" (from a unit's name, 484 articles),
# the three rarest body words "ngô nghĩa thiện" are together in 4, and the figures of the
# generated tables are the rarest tokens ("612": one article).
QUERIES = (
    Query("common-1", "công đoàn"),
    Query("common-2", "lao động"),
    Query("common-3", "đại hội"),
    Query("no-marks-1", "cong doan"),
    Query("no-marks-2", "dai hoi"),
    Query("no-marks-3", "lao dong"),
    Query("d-for-đ-1", "doan vien"),
    Query("d-for-đ-2", "dai hoi dai bieu"),
    Query("abbrev-1", "cdvc"),
    Query("abbrev-2", "CĐVC"),
    Query("abbrev-3", "ldld"),
    Query("abbrev-4", "LĐLĐ"),
    Query("abbrev-5", "CNVCLĐ"),
    Query("full-1", "liên đoàn lao động"),
    Query("full-2", "công đoàn viên chức"),
    Query("phrase-1", "mái ấm công đoàn"),
    Query("phrase-2", "thỏa ước lao động tập thể"),
    Query("phrase-3", "an toàn vệ sinh lao động"),
    Query("phrase-4", "chăm lo đời sống đoàn viên"),
    Query("rare-1", "THPT"),
    Query("rare-2", "ngô nghĩa thiện"),
    Query("rare-3", "612"),
    Query("filter-1", "đại hội", (("cap", "Cấp tỉnh"),)),
    Query("filter-2", "công đoàn", (("nam", "2019"),)),
    Query("filter-3", "công đoàn", (("sap-xep", "moi-nhat"),)),
    Query("filter-4", "hội nghị", (("tac-gia", "Văn Huỳnh"),)),
    Query("filter-5", "", (("cap", "Cơ sở"),)),
    Query("filter-6", "", (("chu-de", "Nữ công"), ("don-vi", "Công đoàn Viên chức tỉnh Sóc Trăng"))),
    Query("none-1", "xyzqwv"),
    Query("none-2", "hội nghị zzzz"),
)


@dataclass(frozen=True)
class Profile:
    name: str
    cpu: float = 1.0            # slowdown factor
    down_kbps: int = 0          # 0: not throttled
    up_kbps: int = 0
    latency_ms: int = 0

    def describe(self) -> str:
        if self.cpu == 1 and not self.down_kbps:
            return f"{self.name} = unthrottled"
        return (f"{self.name} = CPU {self.cpu:g}x slower, network {self.down_kbps} kbit/s down, "
                f"{self.up_kbps} kbit/s up, {self.latency_ms} ms latency")


PROFILES = {"fast": Profile("fast"), "phone": Profile("phone", 4, 1600, 750, 150)}


# ---------------------------------------------------------------- build: time and memory

def _proc_read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def process_tree(root: int, parents: dict[int, int]) -> list[int]:
    """`root` and its descendants, from /proc. `parents` (pid -> ppid) is kept from call to call:
    only processes not seen before have their stat read (a sample every 20 ms must stay cheap on
    a two-core machine where the build runs)."""
    alive = {int(name) for name in os.listdir("/proc") if name.isdigit()}
    for pid in list(parents):
        if pid not in alive:
            del parents[pid]
    for pid in alive - parents.keys():
        try:
            stat = _proc_read(f"/proc/{pid}/stat")
        except OSError:
            continue
        parents[pid] = int(stat[stat.rfind(")") + 2:].split()[1])
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def is_pagefind(pid: int) -> bool:
    """Whether a process is Pagefind: its executable's name (comm) or argv[0] names it."""
    try:
        argv0 = _proc_read(f"/proc/{pid}/cmdline").split("\0")[0]
        return "pagefind" in _proc_read(f"/proc/{pid}/comm") or "pagefind" in os.path.basename(argv0)
    except OSError:
        return False


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every `interval` seconds.

    A sum of RSS counts a page shared by several processes (the build's forked workers share most
    of the parent's memory until they write to it) once per process: an upper bound of the memory
    the tree needs. Reading PSS (/proc/PID/smaps_rollup) would not double-count, but walks every
    page table on each read, too slow for a sample every 20 ms.
    """

    def __init__(self, root: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_tree = self.peak_pagefind = self.samples = 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        parents: dict[int, int] = {}
        while True:
            tree = pagefind = 0
            for pid in process_tree(self.root, parents):
                try:
                    rss = int(_proc_read(f"/proc/{pid}/statm").split()[1]) * self._page
                except (OSError, IndexError):
                    continue
                tree += rss
                if is_pagefind(pid):
                    pagefind += rss
            self.peak_tree, self.peak_pagefind = max(self.peak_tree, tree), max(self.peak_pagefind, pagefind)
            self.samples += 1
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class BuildRun:
    """One `build.py` process: wall time, its summary line's stage times, peak memory (bytes)."""

    wall: float
    stages: dict[str, float]
    summary: str
    peak_tree: int
    peak_pagefind: int
    largest: int                  # the kernel's max RSS of the largest single process of the tree
    samples: int


def timed_build(root: Path) -> BuildRun:
    """Run `build.py --root ROOT` (search included) as a child process, sampling its memory."""
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=child_env(), stdout=out, stderr=err)
        sampler = TreeSampler(child.pid)
        sampler.start()
        # wait4, not wait: its rusage gives the max RSS of the child and of every descendant it
        # waited for (Pagefind included), a check on the sampler's figures.
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if child.returncode != 0:
        sys.exit(f"build failed ({' '.join(command)}):\n{stderr[-3000:]}")
    summary = next((line for line in stdout.splitlines() if line.startswith(("built ", "nothing changed"))), "")
    found = re.search(r" in [\d.]+s \((.*?)\)[;,]", summary)
    stages = {name.strip(): float(secs) for name, secs in re.findall(r"([^,]+?) ([\d.]+)s", found.group(1))} \
        if found else {}
    return BuildRun(wall, stages, summary, sampler.peak_tree, sampler.peak_pagefind, usage.ru_maxrss * 1024,
                    sampler.samples)


def edit_one_article(root: Path) -> Path:
    """Append a paragraph to the article in the middle of the corpus (as benchmarks/search.py)."""
    articles = sorted((root / "content").rglob("*.md"))
    target = articles[len(articles) // 2]
    target.write_text(target.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
    return target


def pagefind_version(output: Path) -> str:
    """The version of Pagefind that wrote the index: shards.json's "pagefind" key when the index
    is sharded, else pagefind-entry.json's "version"."""
    for name, key in (("shards.json", "pagefind"), ("pagefind-entry.json", "version")):
        try:
            return str(json.loads((output / "pagefind" / name).read_text(encoding="utf-8"))[key])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "unknown"


# ---------------------------------------------------------------- the server, as nginx serves the site

# deploy/nginx.conf: gzip_types (text/html is always compressed), gzip_comp_level 5, gzip_min_length 256.
GZIP_TYPES = {"text/html", "text/css", "application/javascript", "application/json", "application/atom+xml",
              "application/xml", "text/xml", "image/svg+xml", "text/plain", "text/yaml", "application/wasm"}
CHARSET_TYPES = GZIP_TYPES - {"application/wasm"}
TYPES = {".html": "text/html", ".css": "text/css", ".js": "application/javascript", ".json": "application/json",
         ".xml": "application/xml", ".svg": "image/svg+xml", ".txt": "text/plain", ".yml": "text/yaml",
         ".wasm": "application/wasm", ".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".png": "image/png", ".gif": "image/gif", ".ico": "image/x-icon", ".pdf": "application/pdf",
         ".webmanifest": "application/manifest+json"}
# Pagefind's index files are gzipped by Pagefind and unpacked by pagefind.js: plain bytes, never
# compressed again (the /pagefind/ location of deploy/nginx.conf).
PAGEFIND_FILES = (".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter", ".pagefind")
PROBE = "/__bench/"           # the throttling probe's files (below), served from memory


def content_type(path: str) -> str:
    if path.endswith(PAGEFIND_FILES):
        return "application/octet-stream"
    if os.path.basename(path) == "feed.xml":
        return "application/atom+xml"
    return TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")


@lru_cache(maxsize=1)
def production_csp() -> str:
    """The site's Content-Security-Policy, read from deploy/nginx.conf ("" when it has none)."""
    conf = REPO / "deploy" / "nginx.conf"
    found = re.search(r'default\s+"(default-src [^"]+)"', conf.read_text(encoding="utf-8")) if conf.exists() else None
    return found.group(1) if found else ""


def production_headers(path: str) -> list[tuple[str, str]]:
    """The headers deploy/nginx.conf adds, so that header bytes are the production ones and the
    page runs under the production Content-Security-Policy."""
    cache = ("public, max-age=31536000, immutable" if path.startswith("/assets/")
             else "public, max-age=3600" if path.startswith("/pagefind/") else "no-cache")
    headers = [("Cache-Control", cache), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "strict-origin-when-cross-origin")]
    return headers + ([("Content-Security-Policy", production_csp())] if production_csp() else [])


class SiteServer(ThreadingHTTPServer):
    """Serves a built site on 127.0.0.1; keeps a tally of the bytes it sent (headers + body)."""

    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self.lock = threading.Lock()
        self.sent: list[tuple[str, int]] = []
        # gzip at level 5 once per file, not per request: nginx compresses each response, but in C,
        # and a Python server would otherwise add its own compression time to every page load.
        self.compressed: dict[tuple[str, int, int], bytes] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.sent = []

    def tally(self) -> list[tuple[str, int]]:
        with self.lock:
            return list(self.sent)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"          # keep-alive: every response has a Content-Length
    # As nginx (`tcp_nodelay on`, its default for keep-alive connections): without it the body,
    # written after the headers, waits for the browser's delayed ACK of them (~40 ms) whenever
    # it ends in a segment smaller than a full one, which put 40 ms stalls in most responses.
    disable_nagle_algorithm = True
    server_version, sys_version = "nginx", ""
    timeout = 60
    server: SiteServer

    def log_message(self, *args) -> None:
        pass

    def flush_headers(self) -> None:
        self._header_bytes = sum(len(chunk) for chunk in getattr(self, "_headers_buffer", []))
        super().flush_headers()

    def do_HEAD(self) -> None:
        self.respond(send_body=False)

    def do_GET(self) -> None:
        self.respond(send_body=True)

    def respond(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith(PROBE) and path[len(PROBE):] in PROBE_FILES:
            kind, data = PROBE_FILES[path[len(PROBE):]]
            return self.send(200, path, kind, data, send_body, compress=False)
        rel = path.lstrip("/")
        target = self.server.root / rel
        if ".." in rel.split("/") or "\0" in rel:
            target = self.server.root / "-missing-"
        if target.is_dir():
            if not path.endswith("/"):             # as nginx: /2019/12/bai-viet -> /2019/12/bai-viet/
                self.send_response(301)
                self.send_header("Location", parts.path + "/" + (f"?{parts.query}" if parts.query else ""))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self.count(path, 0)
            target = target / "index.html"
        status = 200
        if not target.is_file():
            status, target, path = 404, self.server.root / "404.html", "/404.html"
        try:
            data = target.read_bytes()
        except OSError:
            status, data = 404, b"Not found"
        self.send(status, path, content_type(target.name), data, send_body, compress=True)

    def send(self, status: int, path: str, kind: str, data: bytes, send_body: bool, compress: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind in CHARSET_TYPES else ""))
        if compress and kind in GZIP_TYPES and len(data) >= 256:
            self.send_header("Vary", "Accept-Encoding")
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                key = (path, len(data), hash(data))
                if key not in self.server.compressed:
                    self.server.compressed[key] = gzip.compress(data, compresslevel=5, mtime=0)
                data = self.server.compressed[key]
                self.send_header("Content-Encoding", "gzip")
        if path.endswith(PAGEFIND_FILES) and status == 200:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        for name, value in production_headers(path):
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)
        self.count(path, len(data) if send_body else 0)

    def count(self, path: str, body: int) -> None:
        if not path.startswith(PROBE):
            with self.server.lock:
                self.server.sent.append((path, self._header_bytes + body))


class ServerProcess:
    """A SiteServer running in a process of its own, as nginx does: in this process it would share
    Python's interpreter lock with Playwright, whose handling of the browser's events then held
    back the small index files of each search by tens of milliseconds. The same url, reset()
    and tally() as SiteServer, over a pipe."""

    def __init__(self, directory: Path):
        context = multiprocessing.get_context("spawn")      # never fork a process running Playwright
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_forever, args=(str(directory), child), daemon=True)
        self._process.start()
        self.url = self._pipe.recv()

    def _ask(self, command: str):
        self._pipe.send(command)
        return self._pipe.recv()

    def reset(self) -> None:
        self._ask("reset")

    def tally(self) -> list[tuple[str, int]]:
        return self._ask("tally")

    def close(self) -> None:
        try:
            self._ask("stop")
        except (OSError, EOFError):
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def _serve_forever(directory: str, pipe) -> None:
    """The server process: serve `directory`, answer the parent's commands until "stop"."""
    server = SiteServer(Path(directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pipe.send(server.url)
    while True:
        command = pipe.recv()
        if command == "reset":
            pipe.send(server.reset())
        elif command == "tally":
            pipe.send(server.tally())
        else:
            server.shutdown()
            server.server_close()
            pipe.send(None)
            return


class NginxServer:
    """deploy/nginx.conf itself, in an nginx of its own (benchmarks/nginx.py): what production
    sends, byte for byte, counted from its access log. The same url, reset() and tally()."""

    def __init__(self, directory: Path):
        self._folder = Path(tempfile.mkdtemp(prefix="portal-bench-nginx-"))
        self._nginx = nginx.Nginx(self._folder / "nginx", directory.resolve(), access_log=True)
        self._nginx.start()
        self.url = self._nginx.url

    def reset(self) -> None:
        self._nginx.reset()

    def tally(self) -> list[tuple[str, int]]:
        return self._nginx.sent()

    def close(self) -> None:
        self._nginx.stop()
        shutil.rmtree(self._folder, ignore_errors=True)


SERVERS = ("nginx", "python")
# A new browser context starts processes of its own, which go on starting for a few hundred
# milliseconds after Playwright has it: opened at once, the page shared this machine's two cores
# with them and its first results came ~100 ms later. A reader's browser is already running, so
# the page is opened once the new context has been left alone for this long (--settle 0: at once,
# as before 2026-12-06). The context is fresh all the same: nothing is cached.
SETTLE = 0.5


@contextmanager
def serve(directory: Path, kind: str = "python") -> Iterator[ServerProcess | NginxServer]:
    """Serve `directory` on 127.0.0.1 (a free port) for the block: with deploy/nginx.conf in a
    real nginx, or with the Python server above, which copies what matters of it."""
    server = NginxServer(directory) if kind == "nginx" else ServerProcess(directory)
    try:
        yield server
    finally:
        server.close()


def default_server() -> str:
    return "nginx" if nginx.available() else "python"


# ---------------------------------------------------------------- the browser and its throttling

CHROMIUM = "/usr/bin/chromium"
# As tests/browser.py: without these, Chromium tries to reach Google's services at start-up.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def chromium():
    """A headless Debian Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class WorkerCPU:
    """Slows each Web Worker thread of this script's Chromium by `rate`, as CDP slows the page's
    main thread.

    Emulation.setCPUThrottlingRate slows the renderer's main thread only (Blink's
    ThreadCPUThrottler interrupts that one thread), and Chromium refuses it on a worker's own
    session ("Operation is only supported for pages, not workers", Chromium 156); Pagefind runs
    its searches in a dedicated worker, which would then run at full speed on a "phone". So each
    worker thread (named "DedicatedWorker" in /proc) is put into a cgroup of its own whose CFS
    quota is 1/rate of one core (cgroup v1 `cpu`, which places single threads; needs root). A
    worker is paused at its start (CDP auto-attach, waitForDebuggerOnStart) until its thread is
    in place. Where that is not possible, `error` says why and the report says so.
    """

    BASE = Path("/sys/fs/cgroup/cpu")
    PERIOD_US = 10_000

    def __init__(self, rate: float):
        self.rate, self.error, self.moved = rate, "", set()
        self.group = self.BASE / f"portal-search-bench-{os.getpid()}"
        try:
            self.group.mkdir(exist_ok=True)
        except OSError as err:
            self.error = f"no cgroup v1 cpu controller to write to ({err.strerror}; needs root)"

    def adopt(self) -> int:
        """Move the new worker threads of this process's Chromium renderers into cgroups; how many."""
        if self.error:
            return 0
        moved = 0
        for pid in process_tree(os.getpid(), {}):
            try:
                if b"--type=renderer" not in open(f"/proc/{pid}/cmdline", "rb").read():
                    continue
                tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
            except OSError:
                continue
            for tid in tids:
                try:
                    if tid in self.moved or _proc_read(f"/proc/{pid}/task/{tid}/comm").strip() != "DedicatedWorker":
                        continue
                    group = self.group / f"t{tid}"
                    group.mkdir(exist_ok=True)
                    (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                    (group / "cpu.cfs_quota_us").write_text(str(int(self.PERIOD_US / self.rate)))
                    (group / "tasks").write_text(str(tid))
                except OSError:
                    continue
                self.moved.add(tid)
                moved += 1
        return moved

    def tidy(self, final: bool = False) -> None:
        """Remove the cgroups of threads that ended (all of them, threads moved back, when final)."""
        if self.error or not self.group.exists():
            return
        for group in self.group.iterdir():
            if group.is_dir():
                if final:
                    for tid in (group / "tasks").read_text().split():
                        try:
                            (self.BASE / "tasks").write_text(tid)
                        except OSError:
                            pass
                try:
                    group.rmdir()
                except OSError:
                    pass
        if final:
            try:
                self.group.rmdir()
            except OSError:
                pass


def throttle(context, page, profile: Profile, workers: WorkerCPU | None) -> dict[str, int]:
    """Apply `profile` to `page` through CDP, before it navigates; returns counters of the workers
    seen and slowed (filled in as they start).

    Verified on this machine (Chromium 156, the probe below, run for every profile): the network
    conditions set on the page's session apply to its dedicated workers' requests too (a worker's
    fetch of 200 KB takes ≥ 200 KB / 200 KB/s + 150 ms); the CPU rate does not (a worker's busy loop
    took as long as unthrottled), hence WorkerCPU.
    """
    counts = {"workers": 0, "slowed": 0}
    if profile.cpu == 1 and not profile.down_kbps:
        return counts
    cdp = context.new_cdp_session(page)
    if profile.down_kbps:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": profile.latency_ms,
            "downloadThroughput": profile.down_kbps * 1000 / 8, "uploadThroughput": profile.up_kbps * 1000 / 8})
    if profile.cpu != 1:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu})
        ids = iter(range(1, 1 << 30))

        def attached(event: dict) -> None:
            if event["targetInfo"]["type"] == "worker":
                counts["workers"] += 1
                # the thread exists while the worker waits for the debugger; give it a moment if not
                for _ in range(20):
                    if workers is None or workers.adopt():
                        counts["slowed"] += workers is not None and not workers.error
                        break
                    time.sleep(0.01)
            # Playwright's CDP sessions cannot address a flat child session, hence flatten=False
            # and the (old) message wrapper to resume the worker.
            message = {"id": next(ids), "method": "Runtime.runIfWaitingForDebugger", "params": {}}
            cdp.send("Target.sendMessageToTarget", {"sessionId": event["sessionId"], "message": json.dumps(message)})

        cdp.on("Target.attachedToTarget", attached)
        cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})
    return counts


PROBE_FILES = {
    "probe.html": ("text/html", b'<!doctype html><meta charset="utf-8"><title>probe</title><script src="probe.js">'
                                b'</script>'),
    "probe.js": ("application/javascript", b"""
function spin() { var t = performance.now(), x = 0; for (var i = 0; i < 3e7; i++) x += Math.sqrt(i);
  return performance.now() - t + (x < 0 ? 1 : 0); }
window.probe = function () { return new Promise(function (done) {
  var main = Math.min(spin(), spin(), spin()), worker = new Worker("probe-worker.js");
  worker.onmessage = function (e) { done({main: main, worker: e.data.spin, fetch: e.data.fetch, bytes: e.data.bytes}); };
}); };"""),
    "probe-worker.js": ("application/javascript", b"""
function spin() { var t = performance.now(), x = 0; for (var i = 0; i < 3e7; i++) x += Math.sqrt(i);
  return performance.now() - t + (x < 0 ? 1 : 0); }
var best = Math.min(spin(), spin(), spin()), t0 = performance.now();
fetch("blob.bin").then(function (r) { return r.arrayBuffer(); }).then(function (b) {
  postMessage({spin: best, fetch: performance.now() - t0, bytes: b.byteLength}); });"""),
    # incompressible, so that its size on the wire is its size
    "blob.bin": ("application/octet-stream", random.Random(1).randbytes(200_000)),
}


def probe(browser, server: ServerProcess, profile: Profile, workers: WorkerCPU | None) -> dict[str, float]:
    """Time a busy loop on the main thread and in a worker, and a worker's fetch, under `profile`."""
    context = browser.new_context()
    try:
        page = context.new_page()
        counts = throttle(context, page, profile, workers)
        page.goto(server.url + PROBE + "probe.html")
        found = page.evaluate("probe()")
        return {**found, **counts}
    finally:
        context.close()
        if workers:
            workers.tidy()


# ---------------------------------------------------------------- one query

# Installed before the page's scripts: the time data-state first becomes "done" (pages without marks).
DONE_OBSERVER = """(() => {
  if (typeof document === "undefined") return;
  const seen = window.__searchBench = {};
  const check = () => {
    const app = document.getElementById("search-app");
    if (app && app.getAttribute("data-state") === "done" && seen.done === undefined) seen.done = performance.now();
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ["data-state"]});
})();"""
IS_DONE = """() => (window.__searchBench && window.__searchBench.done !== undefined)
                   || performance.getEntriesByName("portal-search:done", "mark").length > 0"""
FACTS = """() => {
  const mark = name => { const m = performance.getEntriesByName(name, "mark")[0]; return m ? m.startTime : null; };
  const status = document.querySelector(".search-status");
  return {origin: performance.timeOrigin, first: mark("portal-search:first"), done: mark("portal-search:done"),
          observed: window.__searchBench ? (window.__searchBench.done ?? null) : null,
          shown: document.querySelectorAll(".result").length, status: status ? status.textContent.trim() : ""};
}"""


@dataclass
class Response:
    url: str
    bytes: int                  # response headers + body as sent (compressed)
    end: float                  # epoch ms when its last byte arrived


@dataclass
class Outcome:
    """One query in one profile: times in ms since navigation start, bytes on the wire."""

    query: Query
    profile: str
    shown: int = 0
    total: int | None = None
    first_ms: float | None = None
    done_ms: float | None = None
    first_marked: bool = False              # False: the page has no first mark, first_ms is done_ms
    responses: list[Response] = field(default_factory=list)
    bytes_first: int = 0
    bytes_total: int = 0
    server_bytes: int = 0                   # what the server sent for this page load, every response
    failed: int = 0
    workers: dict[str, int] = field(default_factory=dict)
    status: str = ""
    error: str = ""

    @property
    def bytes_seen(self) -> int:
        return sum(r.bytes for r in self.responses)


def response_of(request, finished_at: float) -> Response:
    """The bytes and end time of one finished request (page or worker)."""
    sizes = request.sizes()
    headers, body = sizes["responseHeadersSize"], sizes["responseBodySize"]
    # Playwright's body size is Chromium's encoded length (all bytes received) less the headers.
    # Checked against SiteServer's tally, two cases need care (Chromium 156):
    if body < 0:
        # nothing received: served from the memory cache (the favicon, when the page has already
        # loaded the same logo as an image); the server never saw it
        headers = body = 0
    elif body == 0:
        # a dedicated worker's script (pagefind-worker.js): loaded by the browser process, and its
        # encoded length never reported; its body is the length the server declared
        response = request.response()
        length = response.headers.get("content-length", "") if response else ""
        body = int(length) if length.isdigit() else 0
    timing = request.timing
    end = timing["startTime"] + timing["responseEnd"] if timing.get("responseEnd", -1) >= 0 else finished_at
    return Response(request.url, headers + body, end)


def run_query(browser, server: ServerProcess, query: Query, profile: Profile, workers: WorkerCPU | None,
              timeout: float, settle: float = SETTLE) -> Outcome:
    """Open the query's page in a fresh context (empty cache), once that context has settled for
    `settle` seconds, and measure it until done."""
    from playwright.sync_api import Error as PlaywrightError

    outcome = Outcome(query, profile.name)
    context = browser.new_context()
    requests: list = []
    finished: dict[int, float] = {}
    facts = {"origin": 0.0, "first": None, "done": None, "observed": None, "shown": 0, "status": ""}
    try:
        context.add_init_script(DONE_OBSERVER)
        # Context events cover the requests of the page's dedicated workers too (Pagefind fetches
        # its index in one): Outcome.server_bytes checks that none is missed.
        context.on("request", lambda r: requests.append(r))
        context.on("requestfinished", lambda r: finished.setdefault(id(r), time.time() * 1000))
        context.on("requestfailed", lambda r: finished.setdefault(id(r), -1.0))
        page = context.new_page()
        outcome.workers = throttle(context, page, profile, workers)
        if settle:
            time.sleep(settle)
        server.reset()
        deadline = time.monotonic() + timeout
        try:
            page.goto(server.url + query.path, wait_until="commit", timeout=timeout * 1000)
            page.wait_for_function(IS_DONE, polling=100, timeout=max(1.0, deadline - time.monotonic()) * 1000)
        except PlaywrightError as err:
            outcome.error = f"timeout after {timeout:g} s" if "Timeout" in type(err).__name__ else str(err)[:200]
        try:
            facts = page.evaluate(FACTS)
        except PlaywrightError as err:
            outcome.error = outcome.error or str(err)[:200]
        # let the last responses' events arrive (events are delivered while Playwright waits)
        for _ in range(100):
            if all(id(r) in finished for r in requests):
                break
            page.wait_for_timeout(50)
        for request in requests:
            if finished.get(id(request), -1.0) < 0:
                outcome.failed += 1
            else:
                outcome.responses.append(response_of(request, finished[id(request)]))
    finally:
        context.close()
        if workers:
            workers.tidy()
    outcome.server_bytes = sum(size for _, size in server.tally())
    outcome.status, outcome.shown = facts["status"], facts["shown"]
    outcome.done_ms = facts["done"] if facts["done"] is not None else facts["observed"]
    outcome.first_marked = facts["first"] is not None
    outcome.first_ms = facts["first"] if outcome.first_marked else outcome.done_ms
    outcome.total = result_count(outcome.status, query.text, outcome.shown)
    if outcome.first_ms is not None:
        outcome.bytes_first = sum(r.bytes for r in outcome.responses if r.end <= facts["origin"] + outcome.first_ms)
        outcome.bytes_total = sum(r.bytes for r in outcome.responses if r.end <= facts["origin"] + outcome.done_ms)
    return outcome


def result_count(status: str, query: str, shown: int) -> int | None:
    """The number of results the status line gives ("Tìm thấy 1.234 kết quả cho …"), else None."""
    if shown == 0:
        return 0
    found = re.search(r"\d+(?:[.,\u00a0\u202f ]\d{3})*", status.replace(query, " ") if query else status)
    return int(re.sub(r"\D", "", found.group())) if found else None


# ---------------------------------------------------------------- the report

def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def kb(n: int) -> str:
    return f"{n / 1000:.1f}"


def outcome_line(o: Outcome) -> str:
    if o.error:
        return f"{o.query.label:<12} {o.profile:<6} {o.error}; status: {o.status[:80]!r}  {o.query.describe()}"
    total = "?" if o.total is None else str(o.total)
    first = f"{o.first_ms:.0f}" + ("" if o.first_marked else "*")
    check = "" if o.bytes_seen == o.server_bytes else f"  !bytes counted {o.bytes_seen}, server sent {o.server_bytes}"
    return (f"{o.query.label:<12} {o.profile:<6} {total:>7} {o.shown:>5} {first:>8} {o.done_ms:>8.0f} "
            f"{kb(o.bytes_first):>9} {kb(o.bytes_total):>9} {len(o.responses):>5}  {o.query.describe()}{check}")


TABLE_HEAD = (f"{'label':<12} {'prof.':<6} {'results':>7} {'shown':>5} {'first ms':>8} {'done ms':>8} "
              f"{'KB first':>9} {'KB total':>9} {'resp.':>5}  query")


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    lines = [f"{'profile':<8} {'loads':>5} {'timeouts':>8} {'first med':>9} {'first p90':>9} {'done med':>9} "
             f"{'KB first med':>12} {'KB first p90':>12} {'KB total med':>12}"]
    for name in dict.fromkeys(o.profile for o in outcomes):
        done = [o for o in outcomes if o.profile == name and not o.error]
        errors = sum(1 for o in outcomes if o.profile == name and o.error)
        if not done:
            lines.append(f"{name:<8} {errors:>5} {errors:>8}")
            continue
        firsts, kbs = [o.first_ms for o in done], [o.bytes_first for o in done]
        lines.append(f"{name:<8} {len(done) + errors:>5} {errors:>8} {median(firsts):>9.0f} "
                     f"{nearest_rank(firsts, 0.9):>9.0f} {median(o.done_ms for o in done):>9.0f} "
                     f"{kb(median(kbs)):>12} {kb(nearest_rank(kbs, 0.9)):>12} "
                     f"{kb(median(o.bytes_total for o in done)):>12}")
    checked = [o for o in outcomes if not o.error]
    lines.append(f"bytes counted = bytes the server sent in {sum(o.bytes_seen == o.server_bytes for o in checked)} "
                 f"of {len(checked)} page loads; Pagefind index chunks (.pf_index) counted in "
                 f"{sum(any(r.url.endswith('.pf_index') for r in o.responses) for o in checked)}")
    return lines


class Report:
    """Lines printed as they come (a phone run takes long) and kept for --out."""

    def __init__(self, echo: bool = True) -> None:
        self.lines: list[str] = []
        self.echo = echo

    def __call__(self, line: str = "") -> None:
        if self.echo:
            print(line, flush=True)
        self.lines.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def machine() -> str:
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M).group(1)
    except (OSError, AttributeError):
        cpu = platform.processor() or platform.machine()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{platform.node()}, {platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
            f"{os.cpu_count()} CPUs, {memory:.0f} GiB, Python {platform.python_version()}")


def build_figures(report: Report, root: Path, work: Path) -> None:
    """Cold build with search, then one edit and a rebuild; their figures into the report."""
    print(f"# building {root} (cold, with search)…", file=sys.stderr, flush=True)
    set_aside(root / "output", work)              # not deleted: see corpus.set_aside
    set_aside(root / ".cache", work)
    cold = timed_build(root)
    edited = edit_one_article(root)
    print(f"# building again after editing {edited.relative_to(root)}…", file=sys.stderr, flush=True)
    again = timed_build(root)
    index = re.search(r"search index (\d+) pages, (\d+) KiB", cold.summary)
    mib = 1024 * 1024
    own = re.search(r" in ([\d.]+)s", cold.summary)
    report(f"build, cold, with search   {cold.wall:8.2f} s   (build.py's own figure: {own.group(1) if own else '?'} s)")
    report(f"index (search stage)       {cold.stages.get('search', float('nan')):8.2f} s"
           + (f"   {index.group(1)} pages, {int(index.group(2)) / 1024:.1f} MiB" if index else ""))
    report(f"peak memory, process tree  {cold.peak_tree / mib:8.0f} MiB (RSS of build.py and all its descendants, "
           f"summed; {cold.samples} samples, one every 20 ms)")
    report(f"peak memory, Pagefind      {cold.peak_pagefind / mib:8.0f} MiB (RSS of the Pagefind processes, summed)")
    report(f"largest single process     {cold.largest / mib:8.0f} MiB (the kernel's max RSS, a check on the samples)")
    report(f"index after one edit       {again.stages.get('search', float('nan')):8.2f} s   (build "
           f"{again.wall:.2f} s, after appending a paragraph to content/{edited.relative_to(root / 'content')})")


def select(labels: str) -> list[Query]:
    """Queries by label ("rare-2") or kind ("rare"), comma-separated; all when empty."""
    if not labels:
        return list(QUERIES)
    wanted = [w.strip() for w in labels.split(",") if w.strip()]
    chosen = [q for q in QUERIES if any(q.label == w or q.label.rsplit("-", 1)[0] == w for w in wanted)]
    unknown = [w for w in wanted if not any(q.label == w or q.label.rsplit("-", 1)[0] == w for q in QUERIES)]
    if unknown:
        sys.exit(f"unknown query labels: {', '.join(unknown)} (known: {', '.join(q.label for q in QUERIES)})")
    return chosen


def run(articles: list[int], work: Path, profiles: list[Profile], queries: list[Query], skip_build: bool = False,
        timeout: float = 120.0, report: Report | None = None,
        server_kind: str = "python", settle: float = 0.0) -> tuple[Report, list[Outcome]]:
    """The whole benchmark; returns the report and every outcome (the smoke test reads both)."""
    report = report or Report()
    outcomes: list[Outcome] = []
    slowed = next((p.cpu for p in profiles if p.cpu != 1), None)
    workers = WorkerCPU(slowed) if slowed else None
    if not skip_build:
        wait_for_disk(work)
    try:
        with chromium() as browser:
            for n, count in enumerate(articles):
                root = make_site(work / f"corpus-{count}", count) if not skip_build else work / f"corpus-{count}"
                figures = Report(echo=False) if not skip_build else None
                if figures is not None:
                    build_figures(figures, root, work)
                elif not (root / "output" / "pagefind").is_dir():
                    sys.exit(f"--skip-build: {root}/output has no search index; build it first")
                if n == 0:
                    report(f"# Search latency, {time.strftime('%Y-%m-%d %H:%M %z')}")
                    report(f"# {machine()}")
                    report(f"# Chromium {browser.version}, Pagefind {pagefind_version(root / 'output')}")
                    report("# served by " + ("nginx with deploy/nginx.conf" if server_kind == "nginx" else
                                             "this script's Python server (headers and gzip as deploy/nginx.conf)"))
                    report(f"# each query in a fresh browser context, opened {settle:g} s after the context was made")
                    for profile in profiles:
                        report(f"# profile {profile.describe()}")
                    if workers:
                        report("# Web Worker threads: " + (f"not slowed: {workers.error}" if workers.error else
                               f"slowed {slowed:g}x too (a cgroup per thread, CFS quota 1/{slowed:g} of a core)"))
                    report("# times: ms since navigation start; first: the portal-search:first mark, or (*) none, "
                           "the time the search was done; KB: 1000 bytes on the wire, response headers + "
                           "compressed bodies, finished by first results / by done")
                report(f"\n## {count} articles ({root})")
                for line in figures.lines if figures else ["build skipped (--skip-build)"]:
                    report(line)
                # the probe's pages are the Python server's own (it serves them from memory)
                with serve(root / "output") as server:
                    report_probe(report, browser, server, profiles, workers)
                with serve(root / "output", server_kind) as server:
                    report("")
                    report(TABLE_HEAD)
                    mine: list[Outcome] = []
                    for profile in profiles:
                        for query in queries:
                            outcome = run_query(browser, server, query, profile, workers, timeout, settle)
                            report(outcome_line(outcome))
                            mine.append(outcome)
                report("")
                for line in summary_lines(mine):
                    report(line)
                outcomes += mine
    finally:
        if workers:
            workers.tidy(final=True)
        if not skip_build:
            empty_trash(work)         # after every timing: see corpus.set_aside
    return report, outcomes


def report_probe(report: Report, browser, server: ServerProcess, profiles: list[Profile],
                 workers: WorkerCPU | None) -> None:
    """The throttling check: busy loops on the main thread and in a worker, a worker's 200 KB fetch."""
    results = {p.name: probe(browser, server, p, workers) for p in profiles}
    base = results.get("fast")
    for profile in profiles:
        r = results[profile.name]
        line = (f"probe {profile.name:<6} busy loop: main thread {r['main']:.0f} ms, worker {r['worker']:.0f} ms; "
                f"worker fetch of {r['bytes'] // 1000} KB: {r['fetch']:.0f} ms")
        if profile.down_kbps:
            line += f" (≥ {r['bytes'] * 8 / profile.down_kbps + profile.latency_ms:.0f} ms expected)"
        if base and profile.name != "fast":
            line += f"; slower than fast: main x{r['main'] / base['main']:.1f}, worker x{r['worker'] / base['worker']:.1f}"
        report(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    parser.add_argument("--profiles", default="fast,phone", help=f"comma-separated: {', '.join(PROFILES)}")
    parser.add_argument("--queries", default="", help="comma-separated labels or kinds (default: all): "
                        + ", ".join(dict.fromkeys(q.label.rsplit("-", 1)[0] for q in QUERIES)))
    parser.add_argument("--skip-build", action="store_true", help="reuse the corpus sites already built under --work")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per query (default 120)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help=f"seconds a fresh context is left alone before the page is opened (default {SETTLE:g})")
    parser.add_argument("--server", choices=SERVERS, default=default_server(),
                        help="nginx: deploy/nginx.conf in a real nginx (the default where nginx is installed); "
                             "python: this script's server, which copies what matters of it")
    args = parser.parse_args()
    try:
        profiles = [PROFILES[name.strip()] for name in args.profiles.split(",") if name.strip()]
    except KeyError as err:
        parser.error(f"unknown profile {err}; known: {', '.join(PROFILES)}")
    report, _ = run(args.articles, args.work, profiles, select(args.queries), args.skip_build, args.timeout,
                    server_kind=args.server, settle=args.settle)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.text, encoding="utf-8")


if __name__ == "__main__":
    main()
