"""Incremental builds: every kind of change gives output byte-identical to a clean build,
and only files whose bytes changed are written."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from sitegen import write
from sitegen.cli import main

from .conftest import REPO, search_documents


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stats(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def portal(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    root = tmp_path / "site"
    root.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    assert main(["build", "--root", str(root), "-q"]) == 0
    return root


def first(root: Path, pattern: str) -> Path:
    return sorted((root / "content").rglob(pattern))[0]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {
    "edit body": lambda r: edit(first(r, "lien-doan*.md"), "Thảo luận tại hội nghị", "Trao đổi tại hội nghị"),
    # a new first paragraph changes the derived summary, shown on every listing of the article
    "edit first paragraph": lambda r: edit(first(r, "lien-doan*.md"), "\n---\n", "\n---\n\nMột đoạn mở đầu mới.\n"),
    "edit title": lambda r: edit(first(r, "lien-doan*.md"), "title: \"Liên đoàn Lao động tỉnh:", "title: \"LĐLĐ tỉnh:"),
    "add article": lambda r: (r / "content/2022/03").mkdir(parents=True) or (r / "content/2022/03/moi.md").write_text(
        "---\ntitle: Bài mới về Thi đua\ndate: 2022-03-01\nlevel: co-so\ntopics: [Thi đua, Hội nghị]\n---\n\nNội dung.\n",
        encoding="utf-8"),
    "delete article": lambda r: first(r, "cum-thi-dua*.md").unlink(),
    "rename article": lambda r: first(r, "cum-thi-dua*.md").rename(first(r, "cum-thi-dua*.md").with_name("doi-ten.md")),
    "change topics": lambda r: edit(first(r, "lien-doan*.md"), "topics: [", "topics: [\"Nữ công\", "),
    "change level": lambda r: edit(first(r, "lien-doan*.md"), "level: tinh", "level: trung-uong"),
    "change date": lambda r: edit(first(r, "lien-doan*.md"), "date: 2019-12-31", "date: 2023-01-05"),
    "edit template": lambda r: edit(r / "templates/partials/article_card.html", "card-unit", "card-unit don-vi"),
    "edit link partial": lambda r: edit(r / "templates/partials/article_link.html", "<time ", "<time class=\"ngay\" "),
    "edit base template": lambda r: edit(r / "templates/base.html", "Chuyển đến nội dung chính", "Đến nội dung"),
    "edit header": lambda r: edit(r / "templates/partials/header.html", "Tìm bài viết…", "Tìm…"),
    "edit footer": lambda r: edit(r / "templates/partials/footer.html", "Địa chỉ:", "Đ/c:"),
    "edit site.yaml": lambda r: edit(r / "site.yaml", "listing: 20", "listing: 2"),
    "edit menu": lambda r: edit(r / "site.yaml", "  - {topic: Thi đua}\n", ""),
    "change asset": lambda r: (r / "assets/style.css").write_text(
        (r / "assets/style.css").read_text() + "\n.them { color: red; }\n", encoding="utf-8"),
    "add image": lambda r: shutil.copy(first(r, "*.svg"), r / "content/2019/12/anh/moi.svg"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_equals_clean(portal, tmp_path, change):
    CHANGES[change](portal)
    assert main(["build", "--root", str(portal), "-q"]) == 0                       # incremental
    clean = tmp_path / "clean"
    assert main(["build", "--root", str(portal), "-q", "--output", str(clean)]) == 0   # cold
    assert tree(portal / "output") == tree(clean)


def test_summary_removed_from_an_unchanged_body(portal, tmp_path):
    """A body converted while the article had a summary keeps no summary of its own (it is not
    worked out then); when the editor removes the summary, the first paragraph becomes it."""
    article = first(portal, "lien-doan*.md")
    edit(article, "\nlevel: tinh", '\nsummary: "Tóm tắt do biên tập viên viết."\nlevel: tinh')
    edit(article, "Thảo luận tại hội nghị", "Trao đổi tại hội nghị")     # a body converted with a summary
    assert main(["build", "--root", str(portal), "-q"]) == 0
    assert "Tóm tắt do biên tập viên viết." in (portal / "output/index.html").read_text(encoding="utf-8")
    edit(article, '\nsummary: "Tóm tắt do biên tập viên viết."', "")
    assert main(["build", "--root", str(portal), "-q"]) == 0
    home = (portal / "output/index.html").read_text(encoding="utf-8")
    assert "Tóm tắt do biên tập viên viết." not in home and "Chiều ngày 31/12, Liên đoàn Lao động tỉnh" in home
    clean = tmp_path / "clean"
    assert main(["build", "--root", str(portal), "-q", "--output", str(clean)]) == 0
    assert tree(portal / "output") == tree(clean)


def test_only_changed_files_are_written(portal, capsys):
    before_bytes, before_stats = tree(portal / "output"), stats(portal / "output")
    assert main(["build", "--root", str(portal), "-q"]) == 0            # nothing changed
    assert stats(portal / "output") == before_stats
    CHANGES["edit body"](portal)
    capsys.readouterr()
    assert main(["build", "--root", str(portal)]) == 0
    summary = capsys.readouterr().out
    after_bytes, after_stats = tree(portal / "output"), stats(portal / "output")
    changed = {rel for rel in after_bytes if after_bytes[rel] != before_bytes.get(rel)}
    touched = {rel for rel in after_stats if after_stats[rel] != before_stats.get(rel)}
    assert changed and touched == changed                 # written exactly when the bytes differ
    assert any(rel.startswith("2019/12/lien-doan") for rel in changed)
    assert "index.html" not in changed and "chu-de/index.html" not in changed
    site_files = {rel for rel in changed if not rel.startswith("pagefind/")}   # the index is counted apart
    assert f"({len(site_files)} written," in summary


def test_cache_can_be_deleted(portal):
    shutil.rmtree(portal / ".cache")
    before = tree(portal / "output")
    assert main(["build", "--root", str(portal), "-q"]) == 0
    assert tree(portal / "output") == before


def test_nothing_changed_stops_at_once(portal, capsys):
    capsys.readouterr()
    assert main(["build", "--root", str(portal)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("nothing changed since the last build: 5 articles")
    assert main(["build", "--root", str(portal), "--drafts"]) == 0          # other settings: a real build
    assert capsys.readouterr().out.splitlines()[-1].startswith("built 5 articles")
    (portal / "templates/home.html").touch()                                 # any touched input: a real build
    assert main(["build", "--root", str(portal), "--drafts"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("built 5 articles")


def test_scheduled_article_appears_without_any_change(portal, monkeypatch, capsys):
    (portal / "content/2026/01").mkdir(parents=True)
    (portal / "content/2026/01/hen-gio.md").write_text(
        "---\ntitle: Bài hẹn giờ\ndate: 2026-01-01 08:00\nlevel: tinh\n---\n\nNội dung.\n", encoding="utf-8")
    assert main(["build", "--root", str(portal), "-q"]) == 0              # 07:00: held back
    assert not (portal / "output/2026/01/bai-hen-gio").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1767225600 + 1800))       # 07:30, same files
    capsys.readouterr()
    assert main(["build", "--root", str(portal)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("nothing changed")           # nothing is due yet
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1767225600 + 7200))       # 09:00: the article is due
    assert main(["build", "--root", str(portal)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("built 6 articles")
    assert (portal / "output/2026/01/bai-hen-gio/index.html").is_file()


# --- which pages an edit re-renders ---------------------------------------------------------

def _corpus(site, count: int = 30) -> None:
    for n in range(count):
        site.add(f"2020/{n % 12 + 1:02d}/bai-{n:02d}.md", title=f"Bài số {n}", date=f"2020-{n % 12 + 1:02d}-{n % 27 + 1:02d}",
                 level=("tinh", "co-so")[n % 2], topics=f"[{('Thi đua', 'Nữ công', 'Đời sống')[n % 3]}]",
                 body=f"Đoạn mở đầu của bài {n}.\n\nĐoạn thứ hai của bài {n}.")


def counted(root: Path, output: Path, search: bool = False):
    """Build in this process and return the BuildResult, whose counters say what was done again."""
    from sitegen.pipeline import BuildOptions, build

    return build(BuildOptions(root=root, output=output, search=search))


def _rendered(monkeypatch) -> list[str]:
    """Record the pages rendered (the sites here are small: rendering runs in this process)."""
    from sitegen.render import PageWriter

    seen: list[str] = []
    real = PageWriter.write
    monkeypatch.setattr(PageWriter, "write", lambda self, page: (seen.append(page.route.file), real(self, page))[1])
    return seen


def test_body_edit_renders_only_pages_that_show_the_article(site, monkeypatch, tmp_path):
    _corpus(site)
    assert site.build("--no-search").code == 0
    total = len(list(site.output.rglob("index.html")))
    rendered = _rendered(monkeypatch)
    path = site.root / "content/2020/05/bai-04.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMột đoạn thêm ở cuối bài.\n", encoding="utf-8")
    assert site.build("--no-search").code == 0
    url = "/2020/05/bai-so-4/"
    assert "2020/05/bai-so-4/index.html" in rendered
    assert 1 < len(rendered) < total / 2
    for rel in rendered:            # each page looked at again shows the article (a link to it, or it)
        assert url in (site.output / rel).read_text(encoding="utf-8"), rel
    assert "chu-de/doi-song/index.html" not in rendered         # bài 4 is about Nữ công
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)


def test_a_fresh_checkout_is_hashed_not_parsed_and_renders_only_what_changed(site, monkeypatch, tmp_path):
    """A server deploy or a CI run checks the files out anew: each has a new identity (inode and
    time) and the same bytes. They are read and hashed, not parsed, and nothing is rendered
    again; after an edit, only that article is parsed and only the pages showing it rendered."""

    _corpus(site)
    assert site.build("--no-search").code == 0
    total = len(list(site.output.rglob("index.html")))

    def check_out_again() -> None:
        for path in sorted((site.root / "content").rglob("*.md")):
            data = path.read_bytes()
            path.unlink()                                   # a new inode…
            path.write_bytes(data)
            os.utime(path, ns=(10**18, 10**18))             # …and another time, as git gives

    rendered = _rendered(monkeypatch)
    check_out_again()
    assert counted(site.root, site.output).parsed == 0 and rendered == []

    path = site.root / "content/2020/05/bai-04.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMột đoạn thêm ở cuối bài.\n", encoding="utf-8")
    check_out_again()
    done = counted(site.root, site.output)
    assert done.parsed == 1 and done.converted == 1
    assert "2020/05/bai-so-4/index.html" in rendered and len(rendered) < total / 2
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)


def test_a_cache_restored_into_a_fresh_checkout_converts_nothing_again(portal, tmp_path, monkeypatch):
    """What a CI run gets with .cache/ restored from the last run (actions/cache): a fresh
    checkout, the cache as plain copies, no output/. Every page is written again, but no article
    is parsed or converted again and Pagefind writes none of the files it already made."""

    saved = tmp_path / "saved-cache"
    shutil.copytree(portal / ".cache", saved)               # copies, as a cache archive holds them
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(portal / name, checkout / name)
    shutil.copy(portal / "site.yaml", checkout / "site.yaml")
    shutil.rmtree(portal)                                   # the runner starts from nothing
    shutil.copytree(checkout, portal)
    shutil.copytree(saved, portal / ".cache")
    made = {p: p.stat().st_ino for p in (portal / ".cache").glob("build-*.search/bundles/*/fragment/*")}

    done = counted(portal, portal / "output", search=True)
    assert done.parsed == 0 and done.converted == 0 and done.rendered == done.pages > 0
    assert made and {p: p.stat().st_ino for p in made} == made
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    clean = tmp_path / "clean"
    assert main(["build", "--root", str(portal), "-q", "--output", str(clean)]) == 0
    assert tree(portal / "output") == tree(clean)


@pytest.mark.parametrize("child_fails", [False, True])
def test_cache_shards_are_written_by_a_forked_process_or_else_by_the_build(portal, tmp_path, monkeypatch, child_fails):
    """The article and body shards are written by a forked process during the group stage (on
    two cores or more); if it fails, the build writes them itself. Either way the next build of a
    fresh checkout parses and converts nothing, and equals a clean build."""
    import sitegen.cache as cache_module
    from sitegen.parallel import can_fork

    writers = tmp_path / "writers"
    parent, real = os.getpid(), cache_module.save_shards

    def save_shards(*args):
        with open(writers, "a") as handle:
            handle.write(f"{'build' if os.getpid() == parent else 'forked'}\n")
        if child_fails and os.getpid() != parent:
            raise OSError(28, "No space left on device")
        real(*args)

    monkeypatch.setattr(cache_module, "save_shards", save_shards)
    shutil.rmtree(portal / ".cache")
    shutil.rmtree(portal / "output")
    assert main(["build", "--root", str(portal), "-q", "--no-search"]) == 0
    expected = (["forked", "build"] if child_fails else ["forked"]) if can_fork() else ["build"]
    assert writers.read_text().split() == expected
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    for path in sorted((portal / "content").rglob("*.md")):      # a fresh checkout: new identities
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
    shutil.rmtree(portal / "output")
    done = counted(portal, portal / "output")
    assert done.parsed == 0 and done.converted == 0 and done.articles > 0
    clean = tmp_path / "clean"
    assert main(["build", "--root", str(portal), "-q", "--no-search", "--output", str(clean)]) == 0
    assert tree(portal / "output") == tree(clean)


def test_a_failed_build_leaves_no_forked_process_behind(portal, monkeypatch):
    """A build that fails after the shard writer was forked waits for it before reporting."""
    edit(portal / "templates/article.html", "{% block main %}", "{% block main %}{{ no_such_value.x }}")
    shutil.rmtree(portal / ".cache")
    assert main(["build", "--root", str(portal), "-q"]) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)          # no child of this process is left, finished or not


def _listing_date_calls(monkeypatch) -> list[int]:
    """Record the process of each listing page whose sitemap date is worked out."""
    import sitegen.pages as pages_module

    calls: list[int] = []
    real = pages_module._newest_or
    monkeypatch.setattr(pages_module, "_newest_or",
                        lambda items, fallback: (calls.append(os.getpid()), real(items, fallback))[1])
    return calls


def test_listing_dates_are_worked_out_only_for_the_sitemap(site, monkeypatch):
    """A listing page's lastmod is the newest article it shows; only the sitemap needs it, so a
    body edit (which renders no sitemap) does not look through every listing's articles."""
    _corpus(site)
    calls = _listing_date_calls(monkeypatch)
    assert site.build("--no-search").code == 0
    assert calls                                    # a first build writes the sitemap
    calls.clear()
    path = site.root / "content/2020/05/bai-04.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMột đoạn thêm ở cuối bài.\n", encoding="utf-8")
    assert site.build("--no-search").code == 0
    assert calls == []
    edit_date = site.root / "content/2020/06/bai-05.md"
    edit_date.write_text(edit_date.read_text(encoding="utf-8").replace("date: 2020-06-06", "date: 2020-06-07"),
                         encoding="utf-8")
    assert site.build("--no-search").code == 0
    assert calls                                    # a new date: the sitemap is written again


def test_the_sitemap_is_dated_in_the_build_process_before_workers_fork(site, monkeypatch):
    """The sitemap's context reads every page's date. Built in a worker, that worker would hold its
    own copy of it (70 MiB more at 100,000 articles); the build process builds it first, and the
    forked workers share it."""
    import sitegen.parallel as parallel

    _corpus(site)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)           # fork workers even for this small site
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    calls = _listing_date_calls(monkeypatch)                # a forked worker's calls stay in its copy
    assert site.build("--no-search").code == 0
    assert calls and set(calls) == {os.getpid()}
    assert "<lastmod>" in (site.output / "sitemap.xml").read_text(encoding="utf-8")


def test_pages_rendered_out_of_order_by_workers_are_kept_in_page_order(site, monkeypatch, tmp_path):
    """On both cores the pages are rendered feeds first, then by date, and their keys and the
    pages each article is shown on are put back in page order: the rebuilds that rely on them
    equal clean builds."""
    import sitegen.parallel as parallel
    import sitegen.pipeline
    import sitegen.stages.common
    import sitegen.stages.convert
    import sitegen.stages.render

    _corpus(site)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)           # fork workers even for this small site
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    orders = []
    real = sitegen.stages.render._render_order
    monkeypatch.setattr(sitegen.stages.render, "_render_order", lambda page: orders.append(page.route.file) or real(page))
    assert site.build("--no-search").code == 0
    assert orders and sorted(orders, key=lambda rel: not rel.endswith(".xml"))[0].endswith(".xml")
    changes = [("content/2020/05/bai-04.md", "Đoạn thứ hai của bài 4.", "Đoạn thứ hai, sửa lại."),
               ("content/2020/06/bai-05.md", "title: Bài số 5", "title: Bài số năm"),
               ("content/2020/07/bai-06.md", "topics: [Thi đua]", "topics: [Nữ công]")]
    for n, (rel, old, new) in enumerate(changes):
        edit(site.root / rel, old, new)
        assert site.build("--no-search").code == 0
        clean = tmp_path / f"clean-{n}"
        assert site.build("--no-search", "--output", str(clean)).code == 0
        assert tree(site.output) == tree(clean), rel


def test_cached_markdown_is_read_again_when_a_link_target_moves(site, tmp_path):
    site.add("2020/01/dich.md", title="Bài đích", date="2020-01-10", body="Nội dung.")
    site.add("2020/02/nguon.md", title="Bài nguồn", date="2020-02-10", body="Xem [bài đích](../01/dich.md).")
    assert site.build("--no-search").code == 0
    assert 'href="/2020/01/bai-dich/"' in site.page("2020/02/bai-nguon/")
    target = site.root / "content/2020/01/dich.md"
    target.write_text(target.read_text(encoding="utf-8").replace("date: 2020-01-10", "date: 2020-03-10"),
                      encoding="utf-8")
    assert site.build("--no-search").code == 0      # the source's Markdown is only in the file now
    assert 'href="/2020/03/bai-dich/"' in site.page("2020/02/bai-nguon/")
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_a_lost_or_broken_cache_shard_only_costs_time(site, tmp_path, damage):
    _corpus(site, 12)
    assert site.build("--no-search").code == 0
    shards = sorted((site.root / ".cache").glob("build-*.shards/*.pickle"))
    assert shards
    for shard in shards[::3]:
        shard.unlink() if damage == "delete" else shard.write_bytes(b"not a pickle")
    path = site.root / "content/2020/03/bai-02.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Đoạn thứ hai", "Đoạn sửa"), encoding="utf-8")
    assert site.build("--no-search").code == 0
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)


def test_lost_rendered_bodies_are_converted_again_and_restored(site, tmp_path):
    """Bodies are read from their shards only when a page shows them; a lost shard is made good
    from the Markdown (here every page is rendered again, so every body is needed) and rewritten."""
    _corpus(site, 12)
    assert site.build("--no-search").code == 0
    html_shards = sorted((site.root / ".cache").glob("build-*.shards/html-*.pickle"))
    assert html_shards and len({shard.parent for shard in html_shards}) == 1
    holding = [shard for shard in html_shards if pickle.loads(shard.read_bytes())[1]]    # shards with bodies
    assert holding
    for shard in html_shards:
        shard.unlink()
    base = site.root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("Chuyển đến nội dung chính", "Đến nội dung"),
                    encoding="utf-8")
    assert site.build("--no-search").code == 0
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)
    restored = sorted(html_shards[0].parent.glob("html-*.pickle"))
    assert set(holding) <= set(restored)
    assert all(pickle.loads(shard.read_bytes())[1] for shard in holding)


def test_cached_bodies_are_escaped_in_feeds_like_fresh_ones(site, tmp_path):
    """A cached body stands in for a str: atom.xml escapes it, article pages take it as HTML."""
    _corpus(site, 12)
    assert site.build("--no-search").code == 0
    path = site.root / "content/2020/05/bai-04.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMột đoạn thêm ở cuối bài.\n", encoding="utf-8")
    assert site.build("--no-search").code == 0       # the feeds are rendered again with cached bodies
    feed = (site.output / "feed.xml").read_text(encoding="utf-8")
    assert "&lt;p&gt;" in feed and "<p>" not in feed.split("<content", 1)[1]
    clean = tmp_path / "clean"
    assert site.build("--no-search", "--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)


def test_search_index_kept_in_cache_publishes_only_its_live_files(portal, tmp_path):
    CHANGES["edit body"](portal)
    assert main(["build", "--root", str(portal), "-q"]) == 0
    (kept,) = (portal / ".cache").glob("build-*.search")
    shards = json.loads((portal / "output/pagefind/shards.json").read_text(encoding="utf-8"))["shards"]
    assert sorted(p.name for p in (kept / "bundles").iterdir()) == sorted(s["id"] for s in shards)
    # after the edit, Pagefind wrote new fragments and chunks beside the old ones; the old are pruned
    for shard in shards:
        bundle = {rel: data for rel, data in tree(kept / "bundles" / shard["id"]).items()
                  if rel not in ("pagefind.js", "pagefind-worker.js", "wasm.unknown.pagefind")}
        published = tree(portal / "output/pagefind" / shard["id"])
        assert bundle == published
    clean = tmp_path / "clean"
    assert main(["build", "--root", str(portal), "-q", "--output", str(clean)]) == 0
    assert tree(portal / "output/pagefind") == tree(clean / "pagefind")


def test_output_and_cache_files_are_replaced_never_rewritten_in_place(portal, tmp_path):
    # deploy/lib.sh gives each release a copy of the output folder made of hard links: a build
    # that wrote into an output file in place would change the live release too. Cache files are
    # replaced whole as well, so a stopped build never leaves half a file.
    releases = {}
    for name in ("output", ".cache"):
        releases[name] = tmp_path / name
        shutil.copytree(portal / name, releases[name], copy_function=os.link)
    before = {name: tree(folder) for name, folder in releases.items()}
    CHANGES["edit body"](portal)
    CHANGES["change asset"](portal)
    CHANGES["add image"](portal)
    assert main(["build", "--root", str(portal), "-q"]) == 0
    assert tree(portal / "output") != before["output"]
    assert {name: tree(folder) for name, folder in releases.items()} == before


def test_an_edit_indexes_only_its_shard_and_a_failed_index_is_done_again(portal, tmp_path, monkeypatch):
    """Each year of the sample is a shard of the search index: an edit sends only its year to
    Pagefind; a build whose indexing fails leaves output/ as it was, and the next build indexes
    what that one could not. Each time, the output equals a clean build's."""
    import sitegen.pagefind
    from sitegen.pipeline import BuildOptions, build

    options = BuildOptions(root=portal, output=portal / "output")

    cleans = iter(range(10))

    def same_as_clean(shards: int) -> None:
        clean = tmp_path / f"clean-{next(cleans)}"        # a folder of its own: no cache yet
        assert build(BuildOptions(root=portal, output=clean)).index.indexed == shards
        assert tree(portal / "output") == tree(clean)

    CHANGES["edit title"](portal)                           # lien-doan…: 2019
    result = build(options)
    assert (result.index.shards, result.index.indexed) == (4, 1)   # 2016, 2019, 2020, 2021
    same_as_clean(4)

    real = sitegen.pagefind.run
    monkeypatch.setattr(sitegen.pagefind, "run", lambda *a: (_ for _ in ()).throw(
        sitegen.pagefind.BuildError([sitegen.pagefind.Diagnostic("pagefind", "search", "simulated")])))
    before = tree(portal / "output")
    CHANGES["delete article"](portal)                       # cum-thi-dua…: 2020, its only article
    CHANGES["edit body"](portal)                            # 2019 again
    assert main(["build", "--root", str(portal), "-q"]) == 1
    assert tree(portal / "output") == before
    monkeypatch.setattr(sitegen.pagefind, "run", real)
    result = build(options)
    assert (result.index.shards, result.index.indexed) == (3, 1)
    assert "2020" not in {s["id"] for s in json.loads((portal / "output/pagefind/shards.json").read_text())["shards"]}
    same_as_clean(3)

    # An article deleted in a build without the index: the next index must not find it.
    first(portal, "lien-doan*.md").unlink()
    assert main(["build", "--root", str(portal), "-q", "--no-search"]) == 0
    assert not (portal / "output/pagefind").exists()
    result = build(options)
    assert (result.index.pages, result.index.shards, result.index.indexed) == (3, 3, 1)
    assert "/2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019/" not in search_documents(portal)
    same_as_clean(3)


def test_a_copied_file_is_copied_again_only_when_its_bytes_change(tmp_path, monkeypatch):
    """Copies (assets, photos) are keyed by their bytes: a fresh checkout, where every source has a
    new identity, copies nothing that did not change, so a deploy's hard-linked releases share it."""

    out = tmp_path / "out"
    out.mkdir()
    source = tmp_path / "checkout-1" / "anh.jpg"
    source.parent.mkdir()
    source.write_bytes(b"x" * 100)
    copy, manifest = write.plan_copies(out, {"2019/anh.jpg": source}, {})
    assert copy == {"2019/anh.jpg": source}
    (out / "2019").mkdir()
    (out / "2019" / "anh.jpg").write_bytes(source.read_bytes())

    read = []
    digest = write.file_digest
    monkeypatch.setattr(write, "file_digest", lambda path: read.append(path) or digest(path))
    copy, manifest = write.plan_copies(out, {"2019/anh.jpg": source}, manifest)
    assert copy == {} and read == []                        # the same file as last time: not even read

    moved = tmp_path / "checkout-2" / "anh.jpg"             # the same bytes in a fresh checkout
    moved.parent.mkdir()
    moved.write_bytes(b"x" * 100)
    copy, manifest = write.plan_copies(out, {"2019/anh.jpg": moved}, manifest)
    assert copy == {} and read == [moved]

    moved.write_bytes(b"y" * 100)                           # same size, other bytes
    st = moved.stat()
    os.utime(moved, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    copy, manifest = write.plan_copies(out, {"2019/anh.jpg": moved}, manifest)
    assert copy == {"2019/anh.jpg": moved}
    (out / "2019" / "anh.jpg").write_bytes(moved.read_bytes())
    assert write.plan_copies(out, {"2019/anh.jpg": moved}, manifest)[0] == {}

    (out / "2019" / "anh.jpg").unlink()                     # the published copy is gone
    assert write.plan_copies(out, {"2019/anh.jpg": moved}, manifest)[0] == {"2019/anh.jpg": moved}


@pytest.mark.parametrize("size", [0, 3000, write.WHOLE_FILE_BYTES, write.WHOLE_FILE_BYTES + 1, 3 * 1024 * 1024 + 7])
def test_file_digest_is_the_digest_of_the_bytes(tmp_path, size):
    """Small files are hashed from one read, large ones in blocks: the same digest either way."""
    data = bytes((n * 7 + n // 251) % 256 for n in range(size))
    path = tmp_path / "tep"
    path.write_bytes(data)
    assert write.file_digest(path) == write.file_key(data) == hashlib.sha256(data).hexdigest()[:32]


@pytest.mark.parametrize("size", [0, 1, 70_000, 3 * 1024 * 1024 + 7])
def test_write_file_makes_its_folders_and_writes_exactly_the_bytes(tmp_path, size):
    """write_file makes the folders a page needs (one level or several) and leaves exactly the
    bytes given, replacing a longer file that was there; a file where a folder must be is an error."""
    data = bytes((n * 7 + n // 251) % 256 for n in range(size))
    made: set[str] = set()
    write.write_file(tmp_path, "2019/12/bai-moi/index.html", data, made)
    (tmp_path / "2019" / "12" / "khac").mkdir()                    # there already: not an error
    write.write_file(tmp_path, "2019/12/khac/index.html", b"x" * (size + 100), made)
    write.write_file(tmp_path, "2019/12/khac/index.html", data, made)
    write.write_file(tmp_path, "index.html", data, made)
    assert (tmp_path / "2019/12/bai-moi/index.html").read_bytes() == data
    assert (tmp_path / "2019/12/khac/index.html").read_bytes() == data
    assert (tmp_path / "index.html").read_bytes() == data
    assert made == {"2019/12/bai-moi", "2019/12/khac"}
    (tmp_path / "tep").write_bytes(b"")
    with pytest.raises(OSError):
        write.write_file(tmp_path, "tep/index.html", data, set())


@pytest.mark.parametrize("size", [0, 1, 2500, 70_000, 1_000_000])
def test_read_source_reads_every_byte_and_refuses_oversized_files(tmp_path, monkeypatch, size):
    from sitegen import load

    data = bytes((n * 7 + n // 251) % 256 for n in range(size))
    path = tmp_path / "a.md"
    path.write_bytes(data)
    assert load.read_source(str(path)) == data
    monkeypatch.setattr(load, "MAX_FILE_BYTES", max(size - 1, 0))
    assert load.read_source(str(path)) == (None if size else b"")


def test_fingerprints_name_every_field_of_page_and_crumb():
    """_feed hashes PageInfo and Crumb field by field by name: a field added to either must be
    added there too, or pages that differ only by it would not be rendered again."""
    from dataclasses import fields

    from sitegen.fingerprint import FED_FIELDS
    for cls, names in FED_FIELDS.items():
        assert {f.name for f in fields(cls)} == set(names), cls


def test_a_page_fingerprint_changes_with_each_field():
    from dataclasses import replace

    from sitegen.feeds import FeedLink
    from sitegen.fingerprint import Fingerprints
    from sitegen.pages import Crumb, PageInfo
    from sitegen.urls import route

    feed = FeedLink("Tin", route("feed.xml"), route(""))
    base = PageInfo("Tiêu đề", "Mô tả", "article", route("a/"), [Crumb("Trang chủ", route("")), Crumb("Tiêu đề")],
                    (feed,), "anh.png")
    variants = [replace(base, title="Khác"), replace(base, description="Khác"), replace(base, kind="list"),
                replace(base, route=route("b/")), replace(base, image=""), replace(base, feeds=()),
                replace(base, feeds=(FeedLink("Tin", route("cap/feed.xml"), route("cap/")),)),
                replace(base, breadcrumbs=[Crumb("Trang chủ", route(""))]),
                replace(base, breadcrumbs=[Crumb("Trang chủ", route("x/")), Crumb("Tiêu đề")]),
                replace(base, breadcrumbs=[Crumb("Trang chủ", route("")), Crumb("Tiêu đề", route("a/"))])]
    keys = [Fingerprints().context({"page": page}, b"") for page in [base, *variants]]
    assert len(set(keys)) == len(keys)
    assert Fingerprints().context({"page": replace(base)}, b"") == keys[0]


def test_lists_are_fingerprinted_as_their_items_one_by_one():
    """A list's articles, crumbs and values hashed before go into the digest in one update each
    run: the same digest, and the same articles shown, as feeding the items one at a time."""
    import hashlib

    from sitegen.dates import parse_moment
    from sitegen.fingerprint import Fingerprints
    from sitegen.models import Article
    from sitegen.pages import Crumb
    from sitegen.taxonomy import Term
    from sitegen.urls import route
    from zoneinfo import ZoneInfo

    def art(n):
        return Article(f"content/a{n}.md", route(f"a{n}/"), f"a{n}", f"Bài {n}", parse_moment("2020-01-01", ZoneInfo("UTC")),
                       "tinh", (), "", (), "", None, False, None)

    a, b, c, d = art(1), art(2), art(3), art(4)
    term = Term("topic", "Thi đua", "thi-dua", route("chu-de/thi-dua/"), (a,))
    shared = (d, "x")           # a tuple is hashed once and kept, with the articles it shows: d only here
    mixed = [a, Crumb("Trang chủ", route("")), term, "chữ", 3, None, b, [c, term], shared, (a, Crumb("Tiêu đề")),
             term, c, shared]
    refs = {x.source: n for n, x in enumerate([a, b, c, d])}

    def one_by_one(prints, digest, items):
        digest.update(b"[")
        for item in items:
            if isinstance(item, list):
                one_by_one(prints, digest, item)
            else:
                prints._feed(digest, item)
        digest.update(b"]")

    batched, single = Fingerprints(refs=refs), Fingerprints(refs=refs)
    for prints in (single, batched):            # both have hashed these once before: kept digests
        prints._feed(hashlib.blake2b(digest_size=16), term)
        prints._feed(hashlib.blake2b(digest_size=16), shared)
    expected, got = hashlib.blake2b(b"s", digest_size=16), hashlib.blake2b(b"s", digest_size=16)
    single._seen, batched._seen = set(), set()
    one_by_one(single, expected, mixed)
    batched._feed_items(got, mixed)
    assert got.digest() == expected.digest()
    assert batched.refs() == frozenset(single._seen) == {0, 1, 2, 3}


def _mixed_bodies(site) -> None:
    """Articles whose bodies link to nothing, to a file, to an image, to another article, to a
    page that does not exist, and to the web."""
    site.write("content/2020/01/anh/hinh.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"></svg>')
    site.write("content/2020/01/tai-lieu.pdf", b"%PDF-1.4\n")
    site.add("2020/01/don.md", title="Bài đơn", date="2020-01-05", body="Chỉ có chữ, CĐVC và LĐLĐ.")
    site.add("2020/01/tep.md", title="Bài có tệp", date="2020-01-06", body="Tải [văn bản](tai-lieu.pdf).")
    site.add("2020/01/anh.md", title="Bài có ảnh", date="2020-01-07",
             body='![Hội trường](anh/hinh.svg "Quang cảnh")\n\nĐoạn sau ảnh.')
    site.add("2020/02/lien-ket.md", title="Bài liên kết", date="2020-02-01", body="Xem [bài đơn](../01/don.md).")
    site.add("2020/02/hong.md", title="Bài hỏng", date="2020-02-02", body="Xem [trang cũ](../01/khong-co.md).")
    site.add("2020/02/web.md", title="Bài web", date="2020-02-03", body="Xem [cổng](https://congdoan.vn/).")


def test_bodies_converted_while_loading_equal_those_converted_after(site, tmp_path, monkeypatch):
    """load_site's workers convert the bodies that cannot depend on other articles; the others
    wait for the Markdown stage. Either way each body is the HTML the Markdown stage makes."""
    import sitegen.pipeline
    import sitegen.stages.common
    import sitegen.stages.convert
    import sitegen.stages.render

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    _mixed_bodies(site)
    early = {}
    real = sitegen.stages.convert.BodyConverter.early

    def spy(self, article, shape):
        early[article.source] = real(self, article, shape)
        return early[article.source]

    monkeypatch.setattr(sitegen.stages.convert.BodyConverter, "early", spy)
    assert site.build("--no-search").code == 0
    waited = {source for source, result in early.items() if result is None}
    # the link to an article needs its address; the broken link might have been one
    assert waited == {"content/2020/02/lien-ket.md", "content/2020/02/hong.md"}
    assert len(early) == 6
    assert 'href="/2020/01/bai-don/"' in site.page("2020/02/bai-lien-ket/")
    # every body converted after loading instead
    monkeypatch.setattr(sitegen.stages.convert.BodyConverter, "early", lambda self, article, shape: None)
    late = tmp_path / "late"
    assert site.build("--no-search", "--output", str(late)).code == 0
    assert tree(site.output) == tree(late)


def test_a_rebuild_converts_no_unchanged_body_while_loading(site, monkeypatch):
    """An article whose front matter changed is read again, but its body (the same Markdown)
    is taken from the cache, with or without links: nothing is converted again."""

    _mixed_bodies(site)
    assert site.build("--no-search").code == 0
    # (not the title: the address of an article comes from it, and the bodies linking there
    # must be converted again)
    for name in ("2020/01/don.md", "2020/01/anh.md", "2020/02/lien-ket.md"):
        edit(site.root / "content" / name, "level: tinh", "level: co-so")
    done = counted(site.root, site.output)
    assert done.parsed == 3 and done.converted == 0
    assert 'href="/cap/co-so/"' in site.page("2020/01/bai-co-anh/")


def test_metadata_digests_made_while_loading_are_those_of_the_finished_articles(site, monkeypatch):
    """The workers that convert a body also hash the article's metadata as render_bodies will
    complete it (summary, first image): the same digest the render stage would work out."""
    import sitegen.pipeline
    import sitegen.stages.common
    import sitegen.stages.convert
    import sitegen.stages.render

    _mixed_bodies(site)
    site.add("2020/03/tom-tat.md", title="Có tóm tắt", date="2020-03-01", summary="Tóm tắt riêng.", body="Thân bài.")
    seen = {}
    real = sitegen.pipeline.render_changed

    def spy(env, root, s, pages, articles, *args):
        seen["articles"], seen["premade"] = articles, args[-1]
        return real(env, root, s, pages, articles, *args)

    monkeypatch.setattr(sitegen.pipeline, "render_changed", spy)
    assert site.build("--no-search").code == 0
    premade = seen["premade"]
    assert len(premade) == 5            # all but the two that waited for the Markdown stage
    for a in seen["articles"]:
        if a.source in premade:
            assert premade[a.source] == sitegen.stages.common.metadata_digest(a), a.source


def test_related_articles_are_reused_from_the_cache_until_topics_units_or_dates_change(portal):
    from sitegen.cache import Related, load_cache, save_cache

    out = portal / "output"
    cache = load_cache(portal, out)
    listed = len(cache.related.lists)
    assert cache.related.key and listed > 2
    # A marker only reuse can explain: every article's related list becomes "the oldest article".
    save_cache(portal, out, replace(cache, related=Related(cache.related.key, [[listed - 1]] * listed)),
               shards=False)
    edit(first(portal, "lien-doan*.md"), "Thảo luận tại hội nghị", "Trao đổi tại hội nghị")   # body only
    assert main(["build", "--root", str(portal), "-q"]) == 0
    assert load_cache(portal, out).related.lists == [[listed - 1]] * listed     # kept, and stored again
    page = next(p for p in sorted(out.rglob("index.html")) if 'id="bai-lien-quan"' in p.read_text(encoding="utf-8"))
    assert page.read_text(encoding="utf-8").split('id="bai-lien-quan"')[1].count("<li>") == 1
    edit(first(portal, "lien-doan*.md"), "topics: [", "topics: [\"Nữ công\", ")      # the key changes
    assert main(["build", "--root", str(portal), "-q"]) == 0
    assert load_cache(portal, out).related.lists != [[listed - 1]] * listed


def test_documents_written_by_forked_workers_index_as_those_written_here(portal, tmp_path, monkeypatch):
    """The search stage writes documents in forked workers when there are many (400 or more) and
    runs Pagefind on each shard as its documents are done: the index is the one a build that
    writes them all itself makes."""
    import sitegen.parallel
    import sitegen.search
    from sitegen.pipeline import BuildOptions, build
    from sitegen.searchdocs import VOCABULARY_PAGE

    log = tmp_path / "writers.log"
    real = sitegen.search._write_file

    def write_file(path: str, data: bytes) -> None:
        with open(log, "a", encoding="utf-8") as file:        # the workers' calls too
            file.write(f"{os.getpid()} {path}\n")
        real(path, data)

    monkeypatch.setattr(sitegen.search, "_write_file", write_file)
    monkeypatch.setattr(sitegen.search, "MIN_ITEMS", 1)
    monkeypatch.setattr(sitegen.parallel, "workers", lambda: 2)
    forked = tmp_path / "forked"
    assert build(BuildOptions(root=portal, output=forked)).index.indexed == 4
    writers = {path: int(pid) for pid, path in (line.split(" ", 1) for line in log.read_text().splitlines())}
    documents = {path: pid for path, pid in writers.items()
                 if path.endswith(".html") and not path.endswith(VOCABULARY_PAGE)}
    assert len(documents) == 5 and os.getpid() not in documents.values()
    monkeypatch.setattr(sitegen.search, "MIN_ITEMS", 10**9)
    assert build(BuildOptions(root=portal, output=tmp_path / "here")).index.indexed == 4
    assert tree(forked) == tree(tmp_path / "here")


def test_a_document_lost_from_the_cache_is_written_again_when_its_shard_changes(site, tmp_path, monkeypatch):
    """With smaller shards, 2020 is cut into runs of months and its documents are moved to them,
    not written again; one that is no longer in .cache/ is written again rather than failing."""
    import sitegen.search

    _corpus(site, 24)
    assert site.build().code == 0
    (kept,) = (site.root / ".cache").glob("build-*.search")
    lost = sorted(doc for doc in (kept / "docs" / "2020").rglob("index.html") if "_tu-vung" not in doc.parts)
    lost[0].unlink()
    (site.root / "site.yaml").write_text((site.root / "site.yaml").read_text(encoding="utf-8")
                                         + "\nsearch:\n  shard_size: 10\n", encoding="utf-8")
    moved = []
    real = sitegen.search.SearchIndex._move
    monkeypatch.setattr(sitegen.search.SearchIndex, "_move",
                        lambda self, rel, old, new: moved.append(real(self, rel, old, new)) or moved[-1])
    assert site.build().code == 0
    assert sorted(moved) == [False] + [True] * 23
    clean = tmp_path / "clean"
    assert site.build("--output", str(clean)).code == 0
    assert tree(site.output) == tree(clean)
