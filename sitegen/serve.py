"""`build.py serve`: preview server that rebuilds on every change and reloads open pages.

- Builds into .cache/preview/ (never output/), with base_url set to the preview address.
- Watches content/, templates/, assets/ and site.yaml (watchdog); rebuilds after a short pause.
- A failed rebuild keeps the last good site served and shows its errors over the page; the fix
  removes them. Pages learn of both through a Server-Sent Events stream, /__livereload.
- Loopback only unless --host says otherwise; GET and HEAD only; no path outside the site.
"""
from __future__ import annotations

import argparse
import json
import posixpath
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import i18n
from .errors import BuildError, Diagnostic
from .pipeline import BuildOptions

PREVIEW_DIR = Path(".cache") / "preview"
WATCHED = ("content", "templates", "assets", "site.yaml")
DEBOUNCE_SECONDS = 0.3
KEEPALIVE_SECONDS = 10
CLIENT_SCRIPT = "/__livereload.js"
ADMIN_PATH = "/admin/"
EVENTS = "/__livereload"


class PreviewState:
    """The last build's outcome, shared by the builder thread and every open page."""

    def __init__(self) -> None:
        self.version = 0
        self.errors: list[dict] = []
        self.changed = threading.Condition()

    def publish(self, diagnostics: list[Diagnostic]) -> None:
        """Record a build's outcome (no diagnostics = success) and wake every page."""
        with self.changed:
            self.version += 1
            self.errors = [describe(d) for d in diagnostics]
            self.changed.notify_all()

    def snapshot(self) -> tuple[int, list[dict]]:
        with self.changed:
            return self.version, list(self.errors)


def describe(diagnostic: Diagnostic) -> dict:
    """An error as the overlay shows it: where, a Vietnamese explanation, and the exact message."""
    return {"path": diagnostic.path, "line": diagnostic.line, "field": diagnostic.field,
            "hint": i18n.ERROR_HINTS.get(diagnostic.field, i18n.DEFAULT_HINT), "text": str(diagnostic)}


def is_safe_path(raw_path: str) -> bool:
    """False for any request path that could reach outside the site (.., encoded or doubled)."""
    path = urlsplit(raw_path).path
    for _ in range(3):                      # %252e%252e decodes twice
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    if "\\" in path or "\x00" in path:
        return False
    parts = path.split("/")
    return ".." not in parts and posixpath.normpath("/" + path.lstrip("/")).startswith("/")


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files of the preview folder, plus the live-reload script and event stream."""

    state: PreviewState
    client_script: bytes
    server_version = "PortalPreview"
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".yml": "text/yaml", ".wasm": "application/wasm"}

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's API
        self._respond(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(head=True)

    def _refuse_method(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method  # noqa: N815

    def _respond(self, head: bool) -> None:
        if not is_safe_path(self.path):
            self.send_error(HTTPStatus.FORBIDDEN, "Path outside the site")
            return
        path = urlsplit(self.path).path
        if path == CLIENT_SCRIPT:
            self._send(self.client_script, "text/javascript; charset=utf-8", head)
        elif path == EVENTS and not head:
            self._events()
        else:
            self._file(head)

    def _send(self, body: bytes, content_type: str, head: bool, status: int = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _file(self, head: bool) -> None:
        local = Path(self.translate_path(self.path))
        if local.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", urlsplit(self.path).path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            local = local / "index.html"
        status = HTTPStatus.OK
        if not local.is_file():
            local, status = Path(self.directory) / "404.html", HTTPStatus.NOT_FOUND
            if not local.is_file():
                self.send_error(HTTPStatus.NOT_FOUND)
                return
        try:
            body = local.read_bytes()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        content_type = self.guess_type(str(local))
        if local.suffix == ".html" and not urlsplit(self.path).path.startswith(ADMIN_PATH):
            # (not into the web editor: a reload after each save, which rebuilds, would lose its state)
            tag = f'<script src="{CLIENT_SCRIPT}" defer></script>'.encode()
            body = body.replace(b"</body>", tag + b"</body>", 1) if b"</body>" in body else body + tag
            content_type = "text/html; charset=utf-8"
        self._send(body, content_type, head, status)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = None
        try:
            while True:
                version, errors = self.state.snapshot()
                if version != seen:
                    payload = json.dumps({"version": version, "errors": errors}, ensure_ascii=False)
                    self.wfile.write(f"event: state\ndata: {payload}\n\n".encode("utf-8"))
                    seen = version
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                with self.state.changed:
                    self.state.changed.wait_for(lambda: self.state.version != seen, timeout=KEEPALIVE_SECONDS)
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


class Rebuilder:
    """Runs builds one at a time after changes settle, and publishes each outcome."""

    def __init__(self, options: BuildOptions, state: PreviewState, quiet: bool):
        self.options, self.state, self.quiet = options, state, quiet
        self.pending = threading.Event()
        self.last_change = 0.0

    def changed(self) -> None:
        self.last_change = time.monotonic()
        self.pending.set()

    def build_once(self) -> bool:
        from .pipeline import build

        started = time.perf_counter()
        try:
            result = build(self.options)
        except BuildError as err:
            self.state.publish(err.diagnostics)
            for item in err.diagnostics:
                print(item, file=sys.stderr)
            print(f"rebuild failed: {len(err.diagnostics)} problem(s); still serving the last good site",
                  file=sys.stderr)
            return False
        except Exception as err:  # noqa: BLE001 - keep serving whatever happens
            self.state.publish([Diagnostic("build.py", "internal", f"{type(err).__name__}: {err}")])
            print(f"rebuild failed: internal error: {type(err).__name__}: {err}", file=sys.stderr)
            return False
        self.state.publish([])
        if not self.quiet:
            print(f"rebuilt {result.articles} articles, {result.pages} pages in {time.perf_counter() - started:.2f}s; "
                  f"{len(result.warnings)} warning(s)")
        return True

    def loop(self) -> None:
        while True:
            self.pending.wait()
            while time.monotonic() - self.last_change < DEBOUNCE_SECONDS:
                time.sleep(DEBOUNCE_SECONDS / 3)
            self.pending.clear()
            self.build_once()


def watch(root: Path, on_change) -> object:
    """Start a watchdog observer calling `on_change` for changes to the site's sources.

    Only content/, templates/, assets/ (recursively) and site.yaml are watched, never the
    preview folder or .cache/, whose own changes would make every build trigger another.
    """
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    config = root / "site.yaml"

    class Handler(FileSystemEventHandler):
        def __init__(self, only: Path | None = None):
            self.only = only

        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [Path(p) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
            if self.only is None or self.only in paths:
                on_change()

    observer = Observer()
    for name in WATCHED:
        folder = root / name
        if folder.is_dir():
            observer.schedule(Handler(), str(folder), recursive=True)
    observer.schedule(Handler(config), str(root), recursive=False)
    observer.daemon = True
    observer.start()
    return observer


def serve(args: argparse.Namespace, options: BuildOptions) -> int:
    """Build `options` (its output the preview folder), serve and watch until interrupted.
    Exit 0 on Ctrl+C, 2 when the port is taken."""
    root, output = options.root, options.output
    options = replace(options, base_url=args.base_url or f"http://{args.host}:{args.port}/")
    editor, restore = None, None
    if getattr(args, "admin", False):
        from . import editorserver
        restore = _interrupt_on_sigterm()
        try:
            pending = editorserver.uncommitted(root) if (root / ".git").exists() else []
            editor, local = editorserver.start(root, args.admin_port)
        except editorserver.EditorServerError as err:
            print(f"serve --admin: {err}", file=sys.stderr)
            if restore is not None:
                restore()
            return 1
        options = replace(options, admin_local=local)
        if pending:
            print(f"serve --admin: {len(pending)} file(s) not committed ({', '.join(pending[:5])}"
                  f"{', …' if len(pending) > 5 else ''}): the web editor commits every changed file with its first "
                  "save; commit or stash them first", file=sys.stderr)
    try:
        return _serve(args, root, output, options, editor is not None)
    finally:
        if editor is not None:
            from . import editorserver
            editorserver.stop(editor)
        if restore is not None:
            restore()


def _interrupt_on_sigterm():
    """SIGTERM (kill, systemd, a test's terminate()) stops the server as Ctrl+C does, so that the
    `finally` of serve() runs and stops decap-server: Python's default for SIGTERM ends the process
    at once and would leave decap-server running, holding its port. Returns what puts the earlier
    handler back (serve() calls it as it returns), or None where no handler could be set. The
    build's forked workers set the default back for themselves (parallel.reset_signals)."""
    import signal

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return None
    earlier = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, earlier)


def _serve(args: argparse.Namespace, root: Path, output: Path, options: BuildOptions, admin: bool) -> int:
    """serve() once decap-server runs (when asked for): build, serve, watch."""
    state = PreviewState()
    rebuilder = Rebuilder(options, state, args.quiet)
    if not rebuilder.build_once() and not output.exists():
        output.mkdir(parents=True)      # nothing good to serve yet: pages show the errors
    script = (Path(__file__).parent / "livereload.js").read_text(encoding="utf-8")
    script = script.replace("__STRINGS__", json.dumps(i18n.PREVIEW, ensure_ascii=False))
    handler = type("Handler", (PreviewHandler,), {"state": state, "client_script": script.encode("utf-8")})
    try:
        server = ThreadingHTTPServer((args.host, args.port), partial(handler, directory=str(output)))
    except OSError as err:
        print(f"serve: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    server.daemon_threads = True
    observer = watch(root, rebuilder.changed)
    threading.Thread(target=rebuilder.loop, daemon=True).start()
    print(f"preview: http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    if admin:
        print(f"web editor: http://{args.host}:{args.port}/admin/ (saves commit to this working copy, on branch "
              f"{options.admin_local.branch})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        observer.stop()
    return 0
