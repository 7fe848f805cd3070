"""`build.py new`: start an article with its front matter filled in."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, tzinfo

from .articlefile import ArticleFields
from .articlefile import article_text as write_article
from .config import load_config
from .frontmatter import parse_topics
from .load import CONTENT_DIR
from .text import clean, collapse, slugify

EXIT_OK, EXIT_ERRORS = 0, 1


def article_text(title: str, date: datetime, level: str, topics: tuple[str, ...], author: str, unit: str,
                 tz: tzinfo | None = None) -> str:
    """The text of a new article: front matter in the canonical style, then a first paragraph to replace."""
    fields = ArticleFields(title=title, date=date, level=level, authors=(author,) if author else (), unit=unit,
                           topics=topics, draft=True)
    # no comment line: the web editor would drop it, and the next save would show it removed
    return write_article(fields, "Đoạn mở đầu: ai, làm gì, ở đâu, khi nào.", tz or date.tzinfo)


def create_article(args: argparse.Namespace) -> int:
    """Create content/YYYY/MM/<slug>.md; refuse to overwrite. Return the exit status."""
    root = args.root.resolve()
    config, problems = load_config(root)
    if config is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_ERRORS
    title = collapse(clean(args.title))
    levels = [lv.key for lv in config.levels]
    if not title:
        print("new: title: must not be empty", file=sys.stderr)
        return EXIT_ERRORS
    if args.level not in levels:
        print(f'new: level: unknown level "{args.level}"; expected one of: {", ".join(levels)}', file=sys.stderr)
        return EXIT_ERRORS
    now = datetime.now(config.tz).replace(second=0, microsecond=0)
    path = root / CONTENT_DIR / f"{now.year:04d}" / f"{now.month:02d}" / f"{slugify(title)}.md"
    shown = path.relative_to(root).as_posix()
    if path.exists():
        print(f"{shown}: file: already exists; choose another title or edit that file", file=sys.stderr)
        return EXIT_ERRORS
    text = article_text(title, now, args.level, parse_topics(args.topics), collapse(clean(args.author)),
                        collapse(clean(args.unit)), config.tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:     # "x": never overwrite, even in a race
        handle.write(text)
    print(f"created {shown} (draft: true; remove that line to publish)")
    return EXIT_OK
