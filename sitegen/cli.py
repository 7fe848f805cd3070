"""Command line: argument parsing, exit codes (0 ok, 1 content/config errors, 2 usage), summary."""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from .errors import BuildError, Diagnostic
from .pipeline import BuildOptions, build

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    """The argument parser; `--help` lists every option."""
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build the union news portal: content/ + templates/ + site.yaml -> output/.",
        epilog="Exit status: 0 built, 1 content or configuration errors (listed as path: field: message), "
               "2 wrong usage.",
    )
    p.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: current folder)")
    p.add_argument("--output", "-o", type=Path, default=None, help="where to write the site (default: ROOT/output)")
    p.add_argument("--base-url", metavar="URL", default=None,
                   help="publish at this URL instead of site.yaml's base_url, e.g. https://example.org/portal/")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (for CI)")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--no-search", dest="search", action="store_false",
                   help="skip the Pagefind search index (quicker builds while writing)")
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    loud.add_argument("-v", "--verbose", action="store_true", help="print every stage and its time")
    return p


def _print(items: list[Diagnostic], label: str) -> None:
    for item in items:
        print(f"{label}{item}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    root = args.root.resolve()
    output = (args.output if args.output is not None else root / "output").resolve()
    options = BuildOptions(root=root, output=output, strict=args.strict, drafts=args.drafts,
                           search=args.search, base_url=args.base_url)
    started = time.perf_counter()
    try:
        result = build(options)
    except BuildError as err:
        errors = [d for d in err.diagnostics if d.severity == "error" or options.strict]
        _print(err.diagnostics, "")
        if not args.quiet:
            print(f"build failed: {len(errors)} error(s); {output} was left as it was", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("build interrupted; output was left as it was", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"{err.filename or output}: file: {err.strerror}; output was left as it was", file=sys.stderr)
        return EXIT_ERRORS
    except Exception as err:  # noqa: BLE001 - a bug must still not show editors a traceback
        if args.verbose:
            traceback.print_exc()
        print(f"build.py: internal error: {type(err).__name__}: {err}; output was left as it was "
              "(run with -v for details and report it)", file=sys.stderr)
        return EXIT_ERRORS
    if not args.quiet:
        _print(result.warnings, "warning: ")
        total = time.perf_counter() - started
        if args.verbose:
            for name, secs in result.timings:
                print(f"  {name:<10} {secs * 1000:8.1f} ms")
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in result.timings)
        search = (f"; search index {result.index.pages} pages, {result.index.bytes / 1024:.0f} KiB"
                  if result.index else "; search index skipped (--no-search)")
        print(f"built {result.articles} articles, {result.pages} pages, {result.files} files "
              f"into {output} in {total:.2f}s ({stages}){search}; {len(result.warnings)} warning(s)")
    return EXIT_OK
