"""`build.py fmt`: rewrite the front matter of every article in the canonical style.

Once, for files written by hand or by older tools: afterwards the web editor, `new` and the
importer all write what the files already are, so an edit shows in a diff as itself alone. The
body is left as it is (only its line endings and the blank lines around it are made regular);
the front matter keeps every value (dates are written in the portal's time zone, the same
moments), keys the portal does not know go after the others, comments are dropped.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .articlefile import ArticleFields, article_text
from .config import SiteConfig, load_config
from .errors import Diagnostic
from .frontmatter import KNOWN, FrontMatterError, parse_front_matter, split
from .load import CONTENT_DIR, decode, discover, read_source

EXIT_OK, EXIT_ERRORS = 0, 1


def canonical_text(text: str, shown: str, config: SiteConfig) -> tuple[str | None, list[Diagnostic]]:
    """The canonical form of an article file's text, or None (and why) when it has errors."""
    try:
        data, body, _ = split(text)
    except FrontMatterError as err:
        return None, [Diagnostic(shown, err.field, str(err), err.line)]
    fm, problems = parse_front_matter(data, shown, tuple(lv.key for lv in config.levels), config.tz)
    errors = [p for p in problems if p.severity == "error"]
    if fm is None or errors:
        return None, errors or problems
    extra = {str(k): v for k, v in data.items() if str(k) not in KNOWN}
    fields = ArticleFields(
        title=fm.title, date=fm.date.value, has_time=fm.date.has_time, level=fm.level, authors=fm.authors,
        unit=fm.unit, topics=fm.topics, summary=fm.summary, image=fm.image, image_alt=fm.image_alt or "",
        image_caption=fm.image_caption, slug=fm.slug, source=fm.origin, aliases=fm.aliases, draft=fm.draft,
        updated=fm.updated, expires=fm.expires, extra=extra)
    return article_text(fields, body, config.tz), []


def format_articles(root: Path, config: SiteConfig, write: bool) -> tuple[list[str], list[Diagnostic]]:
    """The article files whose text is not canonical (rewritten when `write`), and the files
    that could not be read (left as they are)."""
    articles, _, problems = discover(root)
    changed: list[str] = []
    for rel in articles:
        shown = f"{CONTENT_DIR}/{rel}"
        path = os.path.join(root, CONTENT_DIR, rel)
        try:
            data = read_source(path)
            if data is None:
                problems.append(Diagnostic(shown, "file", "is too large to be an article"))
                continue
            text, _ = decode(data)
        except (OSError, ValueError) as err:
            problems.append(Diagnostic(shown, "file", str(err)))
            continue
        canonical, found = canonical_text(text, shown, config)
        if canonical is None:
            problems += found
            continue
        if canonical.encode("utf-8") == data:
            continue
        changed.append(shown)
        if write:
            temporary = path + ".fmt-tmp"
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(canonical)
            os.replace(temporary, path)
    return changed, problems


def fmt_command(args: argparse.Namespace) -> int:
    """`build.py fmt [--check]`: print what was (or would be) rewritten; exit 1 when a file could
    not be read, or, with --check, when one is not canonical."""
    root = args.root.resolve()
    config, problems = load_config(root)
    if config is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_ERRORS
    changed, problems = format_articles(root, config, write=not args.check)
    for path in changed:
        print(f"{'not in the canonical style' if args.check else 'rewritten'}: {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    verb = "would be rewritten" if args.check else "rewritten"
    print(f"{len(changed)} article file(s) {verb}; {len(problems)} could not be read (fix them first)"
          if problems else f"{len(changed)} article file(s) {verb}")
    return EXIT_ERRORS if problems or (args.check and changed) else EXIT_OK
