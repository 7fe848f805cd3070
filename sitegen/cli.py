"""Command line: build | serve | new | check | import | fmt. Exit codes: 0 ok, 1 content/config errors, 2 wrong usage."""
from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import time
import traceback
from pathlib import Path

from .errors import BuildError, Diagnostic
from .i18n import format_date
from .pipeline import BuildOptions, BuildResult, build
from .progress import Progress

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("build", "serve", "new", "check", "import", "fmt")
EPILOG = ("Exit status: 0 success, 1 content or configuration errors (listed as path: field: message), "
          "2 wrong usage.")


def _common(p: argparse.ArgumentParser, output: bool = True) -> None:
    p.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: current folder)")
    if output:
        p.add_argument("--output", "-o", type=Path, default=None, help="where to write the site (default: ROOT/output)")
        p.add_argument("--base-url", metavar="URL", default=None,
                       help="publish at this URL instead of site.yaml's base_url, e.g. https://example.org/portal/")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (for CI)")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--future", action="store_true", help="include articles dated later than now")
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    loud.add_argument("-v", "--verbose", action="store_true", help="print every stage and its time")


def parser() -> argparse.ArgumentParser:
    """The argument parser; `python build.py COMMAND --help` lists each command's options.
    Longer than 60 lines: one add_argument call per option of every command, in one place.
    """
    p = argparse.ArgumentParser(
        prog="build.py", epilog=EPILOG,
        description="The union news portal: content/ + templates/ + site.yaml -> output/. "
                    "Without a command, `build` is run.")
    commands = p.add_subparsers(dest="command", metavar="COMMAND")
    b = commands.add_parser("build", help="build the site into output/ (the default)", epilog=EPILOG)
    _common(b)
    b.add_argument("--no-search", dest="search", action="store_false",
                   help="skip the Pagefind search index (quicker builds while writing)")
    s = commands.add_parser("serve", help="preview on http://127.0.0.1:8000, rebuilding and reloading on every change",
                            epilog=EPILOG)
    _common(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument("--no-search", dest="search", action="store_false", help="skip the search index in the preview")
    s.add_argument("--admin", action="store_true",
                   help="also run the web editor at /admin/, saving into this git working copy (needs Node.js "
                        "and npm ci): each save is a commit on the current branch")
    s.add_argument("--admin-port", type=int, default=8081,
                   help="port of decap-server, the web editor's local backend, on 127.0.0.1 (default: 8081)")
    n = commands.add_parser("new", help='create content/YYYY/MM/<slug>.md: new "Tiêu đề" --level tinh', epilog=EPILOG)
    n.add_argument("title", help="the article's title (in quotes)")
    n.add_argument("--level", required=True, help="the union level: a key of levels in site.yaml")
    n.add_argument("--topics", default="", help='comma-separated topics, e.g. "Thi đua, Nữ công"')
    n.add_argument("--author", default="", help="the author's name")
    n.add_argument("--unit", default="", help="the union body speaking")
    n.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: current folder)")
    c = commands.add_parser("check", help="check everything without writing anything (for CI and pre-commit)",
                            epilog=EPILOG)
    _common(c, output=False)
    i = commands.add_parser(
        "import", epilog=EPILOG + " An import that could not read a source exits with 1 after importing the others.",
        help="turn Word files, WordPress exports, feeds, old portal pages and text files into articles",
        description="Import articles into content/YYYY/MM/<slug>.md. SOURCE: a .docx file, a WordPress export "
                    "(WXR .xml), an RSS or Atom feed (a file or an http(s) address), a saved article page of an "
                    "old portal (a file or an address), a plain-text article, or a folder of any of these. "
                    "The format is recognised from the content. Nothing is written until every source has been "
                    "read and every file checked.")
    i.add_argument("sources", nargs="+", metavar="SOURCE", help="files, folders or http(s) addresses")
    i.add_argument("--level", default="", help="the union level of every imported article (a key of levels in "
                                               "site.yaml; default: the first level, with a warning)")
    i.add_argument("--unit", default="", help="the union body, for articles whose source names none")
    i.add_argument("--author", default="", help="the author, for articles whose source names none")
    i.add_argument("--topics", default="", help='topics added to every imported article, e.g. "Tư liệu, Thi đua"')
    i.add_argument("--date", default="", help="the date of articles whose source gives none (a Word file's "
                                              "properties, a text's first paragraph), e.g. 25/12/2019 19:10")
    i.add_argument("--media", type=Path, default=None, metavar="DIR",
                   help="a copy of the old site's uploads folder: images are copied from it next to the articles "
                        "(otherwise they keep their old addresses, listed in the report)")
    i.add_argument("--since", default="", metavar="DATE", help="only articles dated on or after DATE")
    i.add_argument("--limit", type=int, default=None, metavar="N", help="import at most N articles")
    i.add_argument("--format", choices=("docx", "wxr", "feed", "page", "text"), default="",
                   help="the sources' format, when recognising it from the content is not wanted")
    i.add_argument("--pages", action="store_true", help="WordPress: import pages too, not only posts")
    i.add_argument("--dry-run", action="store_true", help="print the whole report, write nothing")
    i.add_argument("--force", action="store_true", help="write again articles imported before (same source:)")
    i.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: current folder)")
    i.add_argument("-q", "--quiet", action="store_true", help="print what failed and the summary line only")
    f = commands.add_parser("fmt", help="rewrite every article's front matter in the canonical style (what new, "
                                        "import and the web editor write)", epilog=EPILOG)
    f.add_argument("--check", action="store_true", help="only list the files that are not in the canonical style "
                                                        "(exit status 1 when there are some)")
    f.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: current folder)")
    return p


def _print(items: list[Diagnostic], label: str = "") -> None:
    for item in items:
        print(f"{label}{item}", file=sys.stderr)


def options_from(args: argparse.Namespace, output: Path | None = None) -> BuildOptions:
    """BuildOptions from parsed arguments."""
    root = args.root.resolve()
    if output is None:
        output = (args.output if getattr(args, "output", None) is not None else root / "output").resolve()
    return BuildOptions(root=root, output=output, strict=args.strict, drafts=args.drafts, future=args.future,
                        search=getattr(args, "search", True), base_url=getattr(args, "base_url", None))


# The objects of the last build run by main(), kept until exit_now ends the process (see build()).
_LAST_BUILD: list = []


def run_build(options: BuildOptions, quiet: bool, verbose: bool, write: bool = True) -> tuple[int, BuildResult | None]:
    """Build (or only check), print the outcome; never let a traceback reach an editor."""
    started = time.perf_counter()
    try:
        result = build(options, write=write, progress=Progress.for_stream(quiet), keep=_LAST_BUILD)
    except BuildError as err:
        errors = [d for d in err.diagnostics if d.severity == "error" or options.strict]
        _print(err.diagnostics)
        if not quiet:
            where = f"{options.output} was left as it was" if write else "nothing was written"
            print(f"{'build' if write else 'check'} failed: {len(errors)} error(s); {where}", file=sys.stderr)
        return EXIT_ERRORS, None
    except KeyboardInterrupt:
        print("interrupted; output was left as it was", file=sys.stderr)
        return 130, None
    except OSError as err:
        print(f"{err.filename or options.output}: file: {err.strerror}; output was left as it was", file=sys.stderr)
        return EXIT_ERRORS, None
    except Exception as err:  # noqa: BLE001 - a bug must still not show editors a traceback
        if verbose:
            traceback.print_exc()
        print(f"build.py: internal error: {type(err).__name__}: {err}; output was left as it was "
              "(run with -v for details and report it)", file=sys.stderr)
        return EXIT_ERRORS, None
    if not quiet:
        _print(result.warnings, "warning: ")
        _summary(result, options, time.perf_counter() - started, verbose, write)
    return EXIT_OK, result


def _summary(result: BuildResult, options: BuildOptions, total: float, verbose: bool, write: bool) -> None:
    if verbose:
        for name, secs in result.timings:
            print(f"  {name:<10} {secs * 1000:8.1f} ms")
    held = []
    if result.held_drafts:
        held.append(f"{result.held_drafts} draft(s)")
    if result.held_future:
        when = format_date(result.next_scheduled) if result.next_scheduled else ""
        held.append(f"{result.held_future} scheduled (next: {when})")
    if result.archived:
        held.append(f"{result.archived} expired (archived)")
    held_text = f"; held back: {', '.join(held)}" if held else ""
    if result.pages_unchanged:
        print(f"nothing changed since the last build: {result.articles} articles, {result.pages} pages, "
              f"{result.files} files in {options.output} are up to date ({total:.2f}s){held_text}")
        return
    if not write:
        print(f"checked {result.articles} articles, {result.pages} pages: no errors{held_text}; "
              f"{len(result.warnings)} warning(s)")
        return
    stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in result.timings)
    index = result.index
    search = (f"; search index {index.pages} pages in {index.shards} shard(s) ({index.indexed} indexed), "
              f"{index.bytes / 1024:.0f} KiB, {index.engine}" if index else "; search index skipped")
    print(f"built {result.articles} articles, {result.pages} pages ({result.rendered} rendered, "
          f"{result.pages - result.rendered} unchanged), {result.files} files ({result.written} written, "
          f"{result.files - result.written} unchanged, {result.deleted} deleted)"
          f"{f', {result.photos} photo(s) resized' if result.photos else ''} into {options.output} "
          f"in {total:.2f}s ({stages}){search}{held_text}; {len(result.warnings)} warning(s)")


def exit_now(code: int) -> None:
    """End the process with `code`, without freeing every object one by one.

    A build leaves hundreds of thousands of objects (articles, pages, the cache) that Python would
    otherwise release at exit: about 0.1 s at 10,000 articles, a twentieth of a rebuild. The exit
    handlers still run and the output is flushed; nothing else is left to do.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else 1)


def main(argv: list[str] | None = None, ending: bool = False) -> int:
    """Run the command line; return the exit status. `ending`: the process ends right after
    (build.py passes it; tests calling main() in-process do not)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")      # `python build.py --strict` means `python build.py build --strict`
    args = parser().parse_args(argv)
    if args.command == "new":
        from .new import create_article
        return create_article(args)
    if args.command == "serve":
        from .serve import PREVIEW_DIR, serve
        # the options are made here, so that the preview server needs nothing of the command line
        output = args.output if args.output is not None else args.root.resolve() / PREVIEW_DIR
        return serve(args, options_from(args, output.resolve()))
    if args.command == "fmt":
        from .fmt import fmt_command
        return fmt_command(args)
    if args.command == "import":
        from .importcli import import_command
        return import_command(args)
    if ending:
        # exit_now() follows: build() would resume the cyclic collector on its way out, and its
        # first pass would walk every object the build made (~0.3 s at 10,000 articles, measured)
        # just before the process drops them all at once.
        gc.disable()
    code, _ = run_build(options_from(args), args.quiet, args.verbose, write=args.command != "check")
    return code
