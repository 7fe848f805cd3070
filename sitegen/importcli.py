"""`build.py import` on the command line: options checked, the import run, its report printed."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime

from .config import load_config
from .dates import parse_moment
from .frontmatter import parse_topics
from .importing import ImportOptions, ImportReport, run_import
from .text import clean, collapse

EXIT_OK, EXIT_ERRORS = 0, 1


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_ERRORS


def import_command(args: argparse.Namespace) -> int:
    """Run an import from parsed arguments; print the report; return the exit status."""
    root = args.root.resolve()
    config, problems = load_config(root)
    if config is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_ERRORS
    levels = [lv.key for lv in config.levels]
    if args.level and args.level not in levels:
        return _fail(f'import: --level: unknown level "{args.level}"; expected one of: {", ".join(levels)}')
    moments = {}
    for name in ("date", "since"):
        value = getattr(args, name)
        if value:
            try:
                moments[name] = parse_moment(value, config.tz).value
            except ValueError as err:
                return _fail(f"import: --{name}: {err}")
    try:
        topics = parse_topics(args.topics) if args.topics else ()
    except ValueError as err:
        return _fail(f"import: --topics: {err}")
    if args.limit is not None and args.limit < 1:
        return _fail("import: --limit: expected a number of 1 or more")
    if args.media is not None and not args.media.is_dir():
        return _fail(f"{args.media}: --media: not a folder")
    options = ImportOptions(
        root=root, sources=tuple(args.sources), level=args.level, unit=collapse(clean(args.unit)),
        author=collapse(clean(args.author)), topics=topics, date=moments.get("date"), media=args.media,
        since=moments.get("since"), limit=args.limit, format=args.format, pages=args.pages, dry_run=args.dry_run,
        force=args.force)
    try:
        report = run_import(options, config, datetime.now(config.tz).replace(second=0, microsecond=0))
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was written")
    except OSError as err:
        return _fail(f"{err.filename or 'content'}: file: {err.strerror or err}; nothing was written")
    if not args.level and report.imported:
        report.warnings.insert(0, f'level: no --level given: every article was given "{levels[0]}", the first '
                                  "level of site.yaml; change it in the files, or import again with --level --force")
    print_report(report, args.dry_run, args.quiet)
    return EXIT_ERRORS if report.failed else EXIT_OK


def print_report(report: ImportReport, dry_run: bool, quiet: bool) -> None:
    """The report: imported, skipped (each with its reason), warnings, remote images, failures."""
    out = sys.stdout
    if not quiet:
        if report.imported:
            print(f"{'would import' if dry_run else 'imported'} {len(report.imported)} article(s):", file=out)
            for path, where, status in report.imported:
                print(f"  {path}" + (f" ({status})" if status else "") + f"  <- {where}", file=out)
        if report.skipped:
            print(f"skipped {len(report.skipped)}:", file=out)
            for item in report.skipped:
                print(f"  {item.where}: {item.reason}", file=out)
        if report.warnings:
            print(f"warnings ({len(report.warnings)}):", file=out)
            for warning in report.warnings:
                print(f"  {warning}", file=out)
        if report.remote:
            print(f"images left on the old site ({len(report.remote)}); copy its uploads folder and import again "
                  "with --media DIR --force to bring them in:", file=out)
            for path, url in report.remote:
                print(f"  {path}: {url}", file=out)
    for problem in report.failed:
        print(str(problem), file=sys.stderr)
    drafts = sum(1 for _, _, s in report.imported if s == "draft")
    scheduled = sum(1 for _, _, s in report.imported if s == "scheduled")
    images = sum(1 for f in report.files if not f.text)
    held = ", ".join(x for x in (f"{drafts} draft(s)" if drafts else "", f"{scheduled} scheduled" if scheduled else "")
                     if x)
    verb = "would import" if dry_run else "imported"
    print(f"{verb} {len(report.imported)} article(s){f' ({held})' if held else ''} and {images} image(s); "
          f"skipped {len(report.skipped)}; {len(report.warnings)} warning(s); {len(report.remote)} remote image(s); "
          f"{len(report.failed)} source(s) could not be read"
          + ("; nothing was written (--dry-run)" if dry_run else
             "; now run: python build.py check" if report.imported else ""), file=out)
