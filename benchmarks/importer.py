#!/usr/bin/env python3
"""Time `build.py import` on a large RSS feed and a large WordPress export made from the corpus.

    python benchmarks/importer.py [--feed 3000] [--export 1000] [--rounds 3] [--work /tmp/portal-bench]

The generated corpus's articles (../shared/bench/make_corpus.py) are rendered to HTML with the
portal's own Markdown and written as an RSS 2.0 feed (content:encoded, categories, dc:creator)
and as a WordPress export (WXR 1.2: posts with categories, tags, authors, excerpts, links to
each other). Each round imports one of them into an empty site with a fresh process, as an
editor would run it, and the median of the rounds is printed, with the peak memory of the
import and whether `build.py check` then finds no error. Nothing here is asserted by the tests.
"""
from __future__ import annotations

import argparse
import html
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import REPO, child_env, make_site  # noqa: E402
from sitegen.frontmatter import split  # noqa: E402
from sitegen.markdown import Links, make_markdown, render_markdown  # noqa: E402

OLD = "http://congdoan-cu.example.vn"


def corpus_items(count: int, work: Path) -> list[dict]:
    """The corpus's first `count` articles: front matter and the body as HTML."""
    root = make_site(work / f"corpus-{count}", count)
    md = make_markdown({})
    items = []
    for n, path in enumerate(sorted((root / "content").rglob("*.md"))[:count], 1):
        data, body, _ = split(path.read_text(encoding="utf-8"))
        when = data["date"]
        if not isinstance(when, datetime):
            when = datetime.fromisoformat(str(when))
        items.append({"n": n, "title": str(data["title"]), "date": when.astimezone(timezone.utc),
                      "author": data.get("author") or "", "topics": list(data.get("topics") or []),
                      "summary": str(data.get("summary") or ""),
                      "html": render_markdown(md, body, Links("", "/", {}, frozenset()))})
    return items


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_feed(items: list[dict], path: Path) -> None:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Cổng cũ</title>'
           f"<link>{OLD}/</link><description>Tin cũ</description>"]
    for item in items:
        out.append(f"<item><title>{html.escape(item['title'])}</title><link>{OLD}/tin/{item['n']}.html</link>"
                   f"<guid>{OLD}/tin/{item['n']}.html</guid><pubDate>{format_datetime(item['date'])}</pubDate>"
                   f"<dc:creator>{html.escape(str(item['author']))}</dc:creator>"
                   + "".join(f"<category>{html.escape(t)}</category>" for t in item["topics"])
                   + f"<description>{html.escape(item['summary'])}</description>"
                   f"<content:encoded>{_cdata(item['html'])}</content:encoded></item>")
    out.append("</channel></rss>")
    path.write_text("\n".join(out), encoding="utf-8")


def write_export(items: list[dict], path: Path) -> None:
    out = ['<?xml version="1.0" encoding="UTF-8" ?>',
           '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Cổng cũ</title>'
           f"<link>{OLD}</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{OLD}</wp:base_site_url>"
           f"<wp:base_blog_url>{OLD}</wp:base_blog_url>"]
    authors = sorted({str(i["author"]) for i in items if i["author"]})
    for n, name in enumerate(authors, 1):
        out.append(f"<wp:author><wp:author_login>{_cdata(f'tac-gia-{n}')}</wp:author_login>"
                   f"<wp:author_display_name>{_cdata(name)}</wp:author_display_name></wp:author>")
    login = {name: f"tac-gia-{n}" for n, name in enumerate(authors, 1)}
    for item in items:
        n = item["n"]
        local = item["date"]
        slug = f"bai-{n}"
        other = items[(n * 7) % len(items)]
        content = item["html"] + f'<p>Xem thêm <a href="{OLD}/?p={other["n"]}">bài liên quan</a>.</p>'
        terms = "".join(f'<category domain="category" nicename="c{k}">{_cdata(t)}</category>'
                        for k, t in enumerate(item["topics"][:1]))
        terms += "".join(f'<category domain="post_tag" nicename="t{k}">{_cdata(t)}</category>'
                         for k, t in enumerate(item["topics"][1:]))
        out.append(
            f"<item><title>{_cdata(item['title'])}</title><link>{OLD}/{local:%Y/%m/%d}/{slug}/</link>"
            f"<dc:creator>{_cdata(login.get(str(item['author']), 'admin'))}</dc:creator>"
            f'<guid isPermaLink="false">{OLD}/?p={n}</guid><content:encoded>{_cdata(content)}</content:encoded>'
            f"<excerpt:encoded>{_cdata(item['summary'])}</excerpt:encoded><wp:post_id>{n}</wp:post_id>"
            f"<wp:post_date>{_cdata(f'{local:%Y-%m-%d %H:%M:%S}')}</wp:post_date>"
            f"<wp:post_date_gmt>{_cdata(f'{local:%Y-%m-%d %H:%M:%S}')}</wp:post_date_gmt>"
            f"<wp:post_name>{_cdata(slug)}</wp:post_name><wp:status>{_cdata('publish')}</wp:status>"
            f"<wp:post_parent>0</wp:post_parent><wp:post_type>{_cdata('post')}</wp:post_type>"
            f"<wp:post_password>{_cdata('')}</wp:post_password>{terms}</item>")
    out.append("</channel></rss>")
    path.write_text("\n".join(out), encoding="utf-8")


def empty_site(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in ("templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    (root / "content").mkdir()
    return root


# build.py ends its process with os._exit after running the exit handlers (cli.exit_now): a
# handler registered before it starts reports the process's own peak memory.
_PEAK = ("import atexit, resource, runpy, sys; atexit.register(lambda: sys.stderr.write("
         "'PEAK %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)); sys.argv = sys.argv[1:]; "
         "runpy.run_path(sys.argv[0], run_name='__main__')")


def timed_import(source: Path, root: Path) -> tuple[float, float, str]:
    """(seconds, peak MiB of the import process, its summary line)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, str(REPO / "build.py"), "import", str(source), "--root",
                           str(root), "--level", "tinh", "-q"], env=child_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"import failed:\n{done.stderr}")
    peak = max((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK ")), default=0)
    return seconds, peak / 1024, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", type=int, default=3000, help="items in the feed (0: no feed)")
    parser.add_argument("--export", type=int, default=1000, help="posts in the export (0: no export)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()}, Python {platform.python_version()}, "
          f"{datetime.now().isoformat(timespec='seconds')}")
    args.work.mkdir(parents=True, exist_ok=True)
    items = corpus_items(max(args.feed, args.export), args.work)
    jobs = []
    if args.feed:
        feed = args.work / f"feed-{args.feed}.xml"
        write_feed(items[: args.feed], feed)
        jobs.append(("RSS feed", args.feed, feed))
    if args.export:
        export = args.work / f"export-{args.export}.xml"
        write_export(items[: args.export], export)
        jobs.append(("WordPress export", args.export, export))
    print(f"{'source':<17} {'items':>6} {'size':>8} {'median':>8} {'rounds':<24} {'per item':>9} {'peak':>8} "
          f"{'check':>6}")
    for label, count, source in jobs:
        times, peaks, summary = [], [], ""
        for _ in range(args.rounds):
            root = empty_site(args.work / "import-site")
            seconds, peak, summary = timed_import(source, root)
            times.append(seconds)
            peaks.append(peak)
        checked = subprocess.run([sys.executable, str(REPO / "build.py"), "check", "--root", str(root), "-q"],
                                 env=child_env(), capture_output=True, text=True)
        median = statistics.median(times)
        rounds = " ".join(f"{t:.2f}" for t in times)
        print(f"{label:<17} {count:>6} {source.stat().st_size / 1024 / 1024:>6.1f}MB {median:>7.2f}s "
              f"{rounds:<24} {median / count * 1000:>7.1f}ms {max(peaks):>5.0f}MiB "
              f"{'ok' if checked.returncode == 0 else 'FAILED':>6}")
        print(f"  {summary}")


if __name__ == "__main__":
    main()
