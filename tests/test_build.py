"""End to end: small sites built by the real command line, valid and invalid."""
import gc
import gzip
import hashlib
import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.cli import main

from .conftest import REPO, article


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def jpeg(width: int = 800, height: int = 600) -> bytes:
    """A real JPEG image."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (11, 79, 138)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_small_site_article_page_shows_every_field(site):
    site.write("content/2019/12/anh/hoi-nghi.jpg", jpeg(800, 600))
    site.add("2019/12/hoi-nghi.md", title='"Công đoàn Viên chức tỉnh tổ chức Hội nghị"', date='"25/12/2019 19:10"',
             level="cap-tren-co-so", author='["Văn Huỳnh", "Hải Yến"]', unit="Công đoàn Viên chức tỉnh Sóc Trăng",
             topics="Thi đua, Hội nghị", image="anh/hoi-nghi.jpg", image_alt="Quang cảnh",
             image_caption="Quang cảnh hội nghị", updated="26/12/2019 08:00",
             body="Đoạn đầu tiên của bài.\n\n## Kết quả đạt được\n\nĐoạn hai.")
    result = site.build()
    assert result.code == 0, result.err
    html = site.page("2019/12/cong-doan-vien-chuc-tinh-to-chuc-hoi-nghi/")
    for expected in ("<h1>Công đoàn Viên chức tỉnh tổ chức Hội nghị</h1>",
                     '>Thứ Tư, 25/12/2019 - 19:10 (GMT+7)</time>', '<time datetime="2019-12-25T19:10:00+07:00"',
                     "Thứ Năm, 26/12/2019 - 08:00 (GMT+7)",
                     '<a href="/tac-gia/van-huynh/">Văn Huỳnh</a>, '
                     '<a href="/tac-gia/hai-yen/">Hải Yến</a>',
                     '<a class="unit" href="/don-vi/cong-doan-vien-chuc-tinh-soc-trang/">'
                     'Công đoàn Viên chức tỉnh Sóc Trăng</a>',
                     '<a class="level" href="/cap/cap-tren-co-so/">Cấp trên cơ sở</a>',
                     '<li><a href="/chu-de/thi-dua/">Thi đua</a></li>',
                     '<li><a href="/chu-de/hoi-nghi/">Hội nghị</a></li>',
                     '<img src="/2019/12/anh/hoi-nghi.jpg" alt="Quang cảnh" width="800" height="600"', "<figcaption>Quang cảnh hội nghị</figcaption>",
                     '<h2 id="ket-qua-dat-duoc">', '<meta name="description" content="Đoạn đầu tiên của bài.">',
                     '<html lang="vi">'):
        assert expected in html, expected
    assert (site.output / "2019/12/anh/hoi-nghi.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert (site.output / "2019/12/anh/hoi-nghi-480.webp").is_file()


def test_home_lists_latest_newest_first(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "pagination: {home: 2}\n")
    site.add("a.md", title="Bài cũ", date="2018-01-01")
    site.add("b.md", title="Bài mới nhất", date="2020-01-01")
    site.add("c.md", title="Bài giữa", date="2019-01-01")
    assert site.build().code == 0
    latest = site.page("").split('id="tin-moi"')[1].split("</section>")[0]
    assert latest.index("Bài mới nhất") < latest.index("Bài giữa")
    assert "Bài cũ" not in latest


def test_same_date_order_is_stable(site):
    for name in ("z.md", "a.md", "m.md"):
        site.add(name, title=f"Bài {name[0]}", date="2020-01-01")
    assert site.build().code == 0
    home = site.page("")
    assert home.index("Bài a") < home.index("Bài m") < home.index("Bài z")


def test_errors_from_every_file_listed_together(site):
    site.add("2019/12/hoi-nghi.md", date='"hôm qua"')
    site.write("content/b.md", "---\ndate: 2019-12-25\nlevel: tinh\n---\nx\n")
    site.add("c.md", title="C", level="tinhh")
    site.write("content/d.md", "không có front matter\n")
    result = site.build()
    assert result.code == 1
    assert result.lines == [
        'content/2019/12/hoi-nghi.md: date: expected a date like 2019-12-25 or 25/12/2019, got "hôm qua"',
        "content/b.md: title: is required",
        'content/c.md: level: unknown level "tinhh"; did you mean "tinh"? expected one of: trung-uong, tinh, '
        "cap-tren-co-so, co-so",
        'content/d.md:1: front matter: missing: the file must start with a line "---", then title, date and '
        'level, then another "---"',
    ]
    assert not site.output.exists()


def test_two_articles_with_same_url_name_both_files(site):
    site.add("a.md", title="Hội nghị", date="2019-12-25")
    site.add("b.md", title="Hội nghị!", date="2019-12-01")
    result = site.build()
    assert result.code == 1
    assert result.lines == ['content/b.md: slug: "/2019/12/hoi-nghi/" is also the URL of content/a.md; '
                            "give one of them another slug"]


def test_failed_build_leaves_previous_output_untouched(site):
    site.add("a.md", title="Bài một")
    assert site.build().code == 0
    before = tree(site.output)
    stats = {p: (site.output / p).stat().st_mtime_ns for p in before}
    site.add("a.md", title="Bài một đã sửa")
    site.add("b.md", title="Bài hai", date="31/02/2020")
    result = site.build()
    assert result.code == 1
    assert tree(site.output) == before
    assert {p: (site.output / p).stat().st_mtime_ns for p in before} == stats
    assert not [p for p in site.root.iterdir() if p.name.startswith(".output")]


def test_template_error_fails_cleanly_and_keeps_output(site):
    site.add("a.md")
    assert site.build().code == 0
    before = tree(site.output)
    site.write("templates/article.html", '{% extends "base.html" %}{% block main %}\n{{ article.titel }}\n{% endblock %}')
    result = site.build()
    assert result.code == 1
    assert len(result.lines) == 1
    assert result.lines[0].startswith("templates/article.html:2: template: UndefinedError:")
    assert "titel" in result.lines[0] and "content/a.md" in result.lines[0]
    assert tree(site.output) == before
    site.write("templates/article.html", "{% block main %}\n{% if %}\n")
    result = site.build()
    assert result.code == 1 and result.lines[0].startswith("templates/article.html:2: template:")


def test_the_collector_stays_paused_only_when_the_process_ends(sample, tmp_path):
    # build.py's main(ending=True) keeps the cyclic collector off until exit_now(); anything else
    # calling main() (the tests, a script) must get it back as it was
    assert gc.isenabled()
    assert main(["--root", str(sample), "--output", str(tmp_path / "one"), "-q"]) == 0
    assert gc.isenabled()
    try:
        assert main(["--root", str(sample), "--output", str(tmp_path / "two"), "-q"], ending=True) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_two_builds_are_byte_identical(sample, tmp_path):
    assert main(["--root", str(sample), "--output", str(tmp_path / "one"), "-q"]) == 0
    assert main(["--root", str(sample), "--output", str(tmp_path / "two"), "-q"]) == 0
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two and len(one) > 5


def test_source_date_epoch_sets_build_time(site, monkeypatch):
    site.add("a.md")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1_893_456_000))  # 2030-01-01T00:00:00Z
    assert site.build().code == 0
    assert "© 2030 " in site.page("")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1_577_836_800))  # 2020-01-01T00:00:00Z
    assert site.build().code == 0
    assert "© 2020 " in site.page("")


def test_eth_replaced_and_warned_with_line(site):
    site.write("content/a.md", "---\ntitle: Ðền ơn đáp nghĩa\ndate: 2019-12-25\nlevel: tinh\n---\n\nQuỹ Ðền ơn.\n")
    result = site.build()
    assert result.code == 0
    assert result.err.splitlines() == [
        'warning: content/a.md:2: text: replaced "Ð" (U+00D0, Icelandic Eth) with "Đ" (U+0110)',
        'warning: content/a.md:7: text: replaced "Ð" (U+00D0, Icelandic Eth) with "Đ" (U+0110)',
    ]
    html = site.page("2019/12/den-on-dap-nghia/")
    assert "Đền ơn đáp nghĩa" in html and "Quỹ Đền ơn." in html and "\u00d0" not in html


def test_strict_turns_warnings_into_errors(site):
    site.add("a.md", topic="Thi đua")
    assert site.build().code == 0
    result = site.build("--strict")
    assert result.code == 1
    assert result.lines == ['content/a.md: topic: unknown key (did you mean "topics"?)']


def test_bom_crlf_and_decomposed_text_accepted(site):
    text = article(title="Thỏa ước lao động", body="Dòng một.\n\nDòng hai.")
    import unicodedata
    data = b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).replace("\n", "\r\n").encode("utf-8")
    site.write("content/a.md", data)
    result = site.build()
    assert result.code == 0, result.err
    html = site.page("2019/12/thoa-uoc-lao-dong/")
    assert "<h1>Thỏa ước lao động</h1>" in html and "<p>Dòng hai.</p>" in html


@pytest.mark.parametrize("data, message", [
    (b"---\ntitle: A\x00\n---\n", "content/a.md: file: contains NUL bytes: is this a binary file? Articles must be UTF-8 text"),
    (b"---\ntitle: A\ndate: 2019-12-25\nlevel: tinh\n---\n\xff\xfe\xfa\n", "content/a.md: file: line 6 is not UTF-8 text; "
     "save the file as UTF-8"),
])
def test_unreadable_files_are_clear_errors(site, data, message):
    site.write("content/a.md", data)
    result = site.build()
    assert result.code == 1 and result.lines == [message]


def test_utf16_is_read_with_a_warning(site):
    site.write("content/a.md", article(title="Nữ công").encode("utf-16"))
    result = site.build()
    assert result.code == 0
    assert "content/a.md: file: saved as UTF-16" in result.err
    assert "<h1>Nữ công</h1>" in site.page("2019/12/nu-cong/")


def test_summary_derived_when_missing(site):
    long = "Công đoàn cơ sở tổ chức hội nghị cán bộ công chức viên chức " * 8
    site.add("a.md", title="A", body=long)
    site.add("b.md", title="B", summary="Tóm tắt riêng của biên tập viên.")
    assert site.build().code == 0
    description = site.page("2019/12/a/").split('<meta name="description" content="')[1].split('"')[0]
    assert description.endswith("…") and len(description) <= 200 and long.startswith(description[:-1])
    assert 'content="Tóm tắt riêng của biên tập viên."' in site.page("2019/12/b/")


def test_drafts_left_out_unless_asked(site):
    site.add("a.md", title="Bản nháp", draft="true")
    assert site.build().code == 0
    assert not (site.output / "2019/12/ban-nhap").exists() and "Bản nháp" not in site.page("")
    assert site.build("--drafts").code == 0
    assert (site.output / "2019/12/ban-nhap/index.html").exists()


def test_missing_images_are_errors_naming_the_article(site):
    site.add("a.md", image="anh/khong-co.jpg", image_alt="x", body="![y](anh/cung-khong.jpg)")
    result = site.build()
    assert result.code == 1
    assert result.lines == ['content/a.md: image: file not found: "anh/khong-co.jpg" (looked for content/anh/khong-co.jpg)',
                            'content/a.md: body: image not found: "anh/cung-khong.jpg"']


def test_jinja_in_content_is_shown_literally(site):
    site.add("a.md", title='"{{ 7*7 }} tin"', body="Biểu thức {{ 7*7 }} và {% raw %}")
    assert site.build().code == 0
    html = site.page("2019/12/7-7-tin/")
    assert "{{ 7*7 }} tin" in html and "Biểu thức {{ 7*7 }} và {% raw %}" in html and "49" not in html


def test_html_in_fields_is_escaped(site):
    site.add("a.md", title='"<script>alert(1)</script> Tin"', author='"<b>X</b>"', topics='["<i>t</i>"]')
    assert site.build().code == 0
    html = site.page("2019/12/script-alert-1-script-tin/")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Tin" in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html


def test_output_option_and_quiet(site, tmp_path):
    site.add("a.md")
    result = site.build("--output", str(tmp_path / "ra"), "-q")
    assert result.code == 0 and result.out == "" and result.err == ""
    assert (tmp_path / "ra/index.html").exists()


def test_summary_line_on_success(site):
    site.add("a.md")
    result = site.build()
    assert result.out.splitlines()[-1].startswith("built 1 articles, ")
    assert result.out.splitlines()[0] == "markdown: 1…"       # plain progress lines when not on a terminal


@pytest.mark.parametrize("target", [".", "content", "templates"])
def test_output_may_not_replace_sources(site, target):
    site.add("a.md")
    result = site.build("--output", str(site.root / target))
    assert result.code == 1 and ": output: " in result.err
    assert (site.root / "content/a.md").exists()


def test_wrong_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--no-such-option"])
    assert exit_.value.code == 2


def test_help_and_exit_codes_as_a_process(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, str(REPO / "build.py"), *a], capture_output=True,  # noqa: E731
                                    text=True, cwd=tmp_path)
    helped = run("--help")
    assert helped.returncode == 0 and all(c in helped.stdout for c in ("build", "serve", "new", "check"))
    helped = run("build", "--help")
    assert helped.returncode == 0 and "--strict" in helped.stdout and "--output" in helped.stdout
    assert run("--bogus").returncode == 2
    missing = run("-q")
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == ["site.yaml: file: not found: a site needs a site.yaml beside content/"]
    assert "Traceback" not in missing.stderr


def test_symlink_outside_content_is_refused(site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu")
    site.add("a.md")
    os.symlink(secret, site.root / "content/secret.txt")
    result = site.build()
    assert result.code == 1
    assert result.lines == ["content/secret.txt: file: is a link to a file outside content/"]


def test_assets_get_content_hashed_names(site):
    site.add("a.md")
    assert site.build().code == 0
    css = (REPO / "assets/style.css").read_bytes()
    digest = hashlib.sha256(css).hexdigest()[:10]
    assert (site.output / f"assets/style.{digest}.css").read_bytes() == css
    assert f'href="/assets/style.{digest}.css"' in site.page("")


def test_search_index_built_and_reported(site):
    site.add("a.md", body="Đại hội công đoàn.")
    result = site.build()
    assert result.code == 0
    for name in ("pagefind.js", "pagefind-worker.js", "wasm.unknown.pagefind", "shards.json"):
        assert (site.output / "pagefind" / name).is_file(), name
    assert not (site.output / "pagefind/pagefind-ui.js").exists()
    # the engine published waits for its index in short steps (sitegen/pagefind.py, tune_engine)
    assert "await asyncSleep(4);}if(!this.raw_ptr)" in (site.output / "pagefind/pagefind.js").read_text("utf-8")
    found = re.search(r"search [0-9.]+s[,)].*\); search index 1 pages in 1 shard\(s\) \(1 indexed\), \d+ KiB, "
                      r"Pagefind (\d+\.\d+\.\d+) \((npm|pip)\)", result.out)
    assert found, result.out
    manifest = json.loads((site.output / "pagefind/shards.json").read_text(encoding="utf-8"))
    assert manifest["pagefind"] == found.group(1)
    # the page leaves out each shard's vocabulary page by the id the manifest gives
    (shard,) = manifest["shards"]
    fragment = gzip.decompress((site.output / "pagefind" / shard["id"] / "fragment"
                                / f"{shard['skip']}.pf_fragment").read_bytes())
    assert json.loads(fragment[len(b"pagefind_dcd"):])["url"] == "/_tu-vung/"
    result = site.build("--no-search")
    assert result.code == 0 and "search index skipped" in result.out
    assert not (site.output / "pagefind").exists()


def preloaded(html: str) -> list[str]:
    return re.findall(r'<link rel="preload" href="/pagefind/([^"]+)" as="fetch" crossorigin>', html)


def test_the_search_page_names_the_newest_shards_first_files(site):
    """The search page's <head> asks for the newest shard's entry (with the ?ts= search.js gives
    Pagefind) and metadata; an edit that changes them rewrites the page in an incremental build,
    though no listing of it changed; without a search index it names none."""
    site.add("2019/a.md", date="2019-05-01", body="Đại hội công đoàn.")
    site.add("2020/b.md", date="2020-06-01", body="Hội nghị người lao động.")
    assert site.build().code == 0

    def newest() -> list[str]:
        manifest = json.loads((site.output / "pagefind/shards.json").read_text(encoding="utf-8"))
        shard = manifest["shards"][0]
        entry = json.loads((site.output / "pagefind" / shard["id"] / "pagefind-entry.json").read_text("utf-8"))
        (meta,) = [f"{shard['id']}/pagefind.{lang['hash']}.pf_meta" for lang in entry["languages"].values()]
        assert (site.output / "pagefind" / meta).is_file()
        return [f"{shard['id']}/pagefind-entry.json?ts={shard['entry']}", meta]

    first = newest()
    assert first[0].startswith("2020/") and preloaded(site.page("tim-kiem"))[-2:] == first
    site.add("2020/b.md", date="2020-06-01", body="Hội nghị người lao động, sửa lại.")
    result = site.build()
    assert result.code == 0 and newest() != first
    # the size the summary gives: the shard not indexed again counts the bytes its state kept
    size = sum(p.stat().st_size for p in (site.output / "pagefind").rglob("*") if p.is_file())
    assert re.search(r"\(1 indexed\), (\d+) KiB", result.out).group(1) == f"{size / 1024:.0f}", result.out
    assert preloaded(site.page("tim-kiem"))[-2:] == newest()
    site.add("2019/a.md", date="2019-05-01", body="Đại hội công đoàn, sửa lại.")   # an older shard
    assert site.build().code == 0 and preloaded(site.page("tim-kiem"))[-2:] == newest()
    assert site.build("--no-search").code == 0
    assert preloaded(site.page("tim-kiem")) == ["shards.json", "wasm.unknown.pagefind"]


def test_failed_indexing_keeps_previous_output(site, monkeypatch):
    from sitegen.pagefind import Engine

    site.add("a.md")
    assert site.build().code == 0
    before = tree(site.output)
    monkeypatch.setattr("sitegen.pagefind.find_engine", lambda root: Engine(
        (sys.executable, "-c", "import sys; print('Error: simulated failure', file=sys.stderr); sys.exit(3)"),
        "1.6.0", "test"))
    site.add("b.md", title="Bài mới")
    result = site.build()
    assert result.code == 1
    assert result.lines == ["pagefind: search: Error: simulated failure"]
    assert tree(site.output) == before
    assert not [p for p in site.root.iterdir() if p.name.startswith(".output")]


def test_clean_builds_in_different_places_and_times_are_identical(tmp_path, monkeypatch):
    import shutil
    import time
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    outputs = []
    for where in ("mot/portal", "hai/khac/portal-copy"):
        root = tmp_path / where
        root.mkdir(parents=True)
        for name in ("content", "templates", "assets"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy(REPO / "site.yaml", root / "site.yaml")
        assert main(["--root", str(root), "-q"]) == 0
        outputs.append(tree(root / "output"))
        time.sleep(1.1)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 50


def test_search_documents_hold_only_article_text(site):
    """Pagefind reads one small document per article: the title and the body (a figure's
    caption, not its alt text), filters, date and image; nothing of the page around them."""
    from .test_images import encoded

    site.write("content/2019/12/anh.jpg", encoded(800, 600))
    site.add("2019/12/a.md", title='"Đại hội CĐVC"', unit="Công đoàn Viên chức tỉnh", topics="Thi đua",
             date="2019-12-25", body='Đoạn một.\n\n![Ảnh chụp](anh.jpg "Chú thích ảnh")\n\n## Tiêu đề phụ\n\nĐoạn hai.')
    assert site.build().code == 0
    (docs,) = site.root.glob(".cache/build-*.search/docs")
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("index.html"))
    assert pages == ["2019/2019/12/dai-hoi-cdvc/index.html", "2019/_tu-vung/index.html"]
    text = (docs / pages[0]).read_text(encoding="utf-8")
    mark, stroke = "\u01c2", "\u0345"
    assert f"<h1>D{stroke}ại{mark} hội{mark} CD{stroke}VC{mark}</h1>" in text
    assert f"<h2>Tiêu{mark} d{stroke}ề{mark} phụ{mark}</h2>" in text
    assert f"Chú{mark} thích{mark} ảnh{mark}" in text and "chụp" not in text
    assert '<span data-pagefind-filter="unit">Công đoàn Viên chức tỉnh</span>' in text
    assert '<span data-pagefind-filter="topic">Thi đua</span>' in text
    assert '<span data-pagefind-filter="kind">article</span>' in text
    assert '<span data-pagefind-meta="image">/2019/12/anh-480.webp</span>' in text
    for chrome in ("Lưu trữ", "banbientap", "Chia sẻ", "Bài liên quan", "Quang"):
        assert chrome not in text
    assert "data-pagefind" not in site.page("2019/12/dai-hoi-cdvc/")   # published pages carry no search markup
