"""Property tests (Hypothesis): slugs, dates, and the Markdown stage's safety for any input."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.dates import parse_moment
from sitegen.images import ImageInfo, Variant
from sitegen.markdown import Links, _needs_sanitising, make_markdown, render_markdown, sanitise
from sitegen.text import slugify

from .safety import unsafe_parts
from .stock import stock_markdown

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VIETNAMESE = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíị"
                                                  "òỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐĂÂÊÔƠƯ -–.,:;!?/\\\"'()0123456789")))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), VIETNAMESE))
def test_slugs_are_ascii_nonempty_idempotent(text):
    slug = slugify(text)
    assert slug and slug.isascii() and slug not in (".", "..")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 80
    assert slugify(slug) == slug


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30)),
       st.sampled_from(["iso", "iso-offset", "dmy", "dmy-time", "dmy-dash", "date"]),
       st.integers(min_value=-12, max_value=14))
def test_parsed_dates_round_trip(moment, form, offset_hours):
    moment = moment.replace(microsecond=0)
    text = {
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%S"),
        "iso-offset": moment.replace(tzinfo=timezone(timedelta(hours=offset_hours))).isoformat(),
        "dmy": f"{moment.day}/{moment.month}/{moment.year:04d}",
        "dmy-time": f"{moment.day:02d}/{moment.month:02d}/{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}",
        "dmy-dash": f"{moment.day:02d}-{moment.month:02d}-{moment.year:04d}",
        "date": moment.strftime("%Y-%m-%d"),
    }[form]
    parsed = parse_moment(text, TZ)
    again = parse_moment(parsed.iso(), TZ)
    assert again == parsed
    assert again.value == parsed.value and again.value.utcoffset() == parsed.value.utcoffset()


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_that_parses_round_trips(text):
    try:
        parsed = parse_moment(text, TZ)
    except ValueError:
        return
    assert parse_moment(parsed.iso(), TZ) == parsed


HTMLISH = st.lists(st.sampled_from([
    "<script>", "</script>", "<scr", "ipt>", "<img src=x ", "onerror=", "alert(1)", ">", "<", '"', "'",
    "javascript:", "JaVaScRiPt:", "&#106;", "&#x6A;", "data:text/html,", "vbscript:", "<svg ", "onload=",
    "<a href=", "[x](", ")", "![y](", "<iframe ", "<style>", "<!--", "-->", "<![CDATA[", "\n\n", "`", "```",
    "<p ", "onclick", "=", " ", "<", "/", "x", "<math>", "<details open ontoggle=", "srcdoc=", "formaction=",
]), max_size=40).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(HTMLISH, st.text()))
def test_markdown_never_outputs_script_or_handlers(text):
    html = render_markdown(MD, text, Links("2019/12", "/", {}, frozenset()))
    assert unsafe_parts(html, fragment=True) == []


MD = make_markdown({"CĐVC": "Công đoàn Viên chức"})


STOCK = stock_markdown({"CĐVC": "Công đoàn Viên chức"})     # Python-Markdown's own processors
# text made of the characters inline Markdown reacts to, and of words around them
MARKDOWN_INLINE = st.lists(st.sampled_from(list("*_`\\[]()!<>&^#:;/\"'  \n-.xyĐạ") +
                                           ["CĐVC", "http://a.vn", "a@b.vn", "&amp;", "[^1]", "\n\n",
                                            "[^1]: n", "<b>", "</b>", "  \n", "![a](b.jpg)"]), max_size=60).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN_INLINE)
def test_gated_inline_processor_equals_stock(text):
    """Skipping the searches that cannot match changes nothing in the output."""
    links = Links("2019/12", "/", {}, frozenset())
    assert render_markdown(MD, text, links) == render_markdown(STOCK, text, Links("2019/12", "/", {}, frozenset()))


# lines made of what starts or marks a block (headings, rules, quotes, lists, definitions, tables)
MARKDOWN_BLOCKS = st.lists(st.sampled_from(["\n", "\n\n", "# ", "## ", "#", "===", "---", "- - -", "* * *", "___",
                                            "> ", ">", "   > ", "1. ", "- ", "* ", "    ", "[r]: http://a.vn",
                                            "[^1]: n", "[^1]", "]:", "[r]", "|", " | ", "|---|", "=", "-", "*", "_",
                                            "chữ", "CĐVC", "Đạ", " ", "<div>", "</div>", "{: .x}", "{#a}", "{", "}",
                                            "\\{"]), max_size=40).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN_BLOCKS)
def test_gated_block_processors_equal_stock(text):
    """Asking a block processor only about blocks that contain its trigger strings changes
    nothing in the output."""
    assert render_markdown(MD, text, Links("2019/12", "/", {}, frozenset())) == \
        render_markdown(STOCK, text, Links("2019/12", "/", {}, frozenset()))


GLOSSARY = {"CĐVC": "Công đoàn Viên chức", "CNVC": "công nhân viên chức", "CNVCLĐ": "công nhân, viên chức, lao động",
            "LĐ": "lao động", "CC,VC": "công chức, viên chức", "VC": "viên chức"}
ABBREVIATED = st.lists(st.sampled_from([*GLOSSARY, "X", "a", "ạ", "Đ", "_", "1", "²", " ", ",", ".", "\n", "-"]),
                       max_size=30).map("".join)


@given(ABBREVIATED)
def test_abbreviations_found_as_a_lookbehind_would(text):
    """The abbreviation search checks the word boundary before a match itself; it finds what
    a regex with (?<!\\w) in front of the words finds."""
    from sitegen.markdown import _Abbreviations
    words = sorted(GLOSSARY, key=len, reverse=True)
    reference = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)")
    found = [(m.start(), m.group(1)) for m in _Abbreviations(make_markdown(), GLOSSARY).matches(text)]
    assert found == [(m.start(), m.group(1)) for m in reference.finditer(text)]


# what an article's Markdown may hold around links and images, and what nh3 reacts to
ADDRESSES = ["bai.md", "anh.jpg", "hinh.png", "thieu.md", "/a:b", "#a:b", "?a:b", "a:b", "//e.vn", "http://a.vn",
             "https://a.vn/x?y=1#z", "http://a.vn[x]", "HTTP://a.vn", "mailto:a@b.vn", "tel:+84", "javascript:alert(1)",
             "JaVaScRiPt:a", "data:text/html,x", "vbscript:a", "java\tscript:a", "c:/x", "http://ạ.vn", "a b",
             "http://a.vn:80/x", "http://a.vn\\x"]
SANITISED_OR_NOT = st.lists(st.one_of(
    st.sampled_from(list("*_`\\[]()!<>&^#:;/\"'  \n-.xyĐạ|=\t\r\x00\x0b\x0c\x7f\xa0\u0085\u200b\ufeff\uffff😀") +
                    ["CĐVC", "\n\n", "[^1]", "[^1]: n", "  \n", "[r]: ", "[r]", "[x][r]", "# ", "> ", "1. ", "- ",
                     "    ", "```\n", "---", "{: .x}", "<b>", "&amp;", "&#106;",
                     "\n| a | b |\n|:--|--:|\n| 1 | 2 |\n", "\n| a | b |\n|---|---|\n| 1 | 2 |\n"]),
    st.builds(lambda bang, text, url, title: f"{bang}[{text}]({url}{title})", st.sampled_from(["", "!"]),
              st.sampled_from(["", "a", "Ảnh \"x\"", "a>b"]), st.sampled_from(ADDRESSES),
              st.sampled_from(["", ' "Chú thích"', ' "a>b"', " 'x'"])),
    st.text(max_size=4)), max_size=40).map("".join)
IMAGES = {"2019/12/anh.jpg": ImageInfo("2019/12/anh.jpg", 1600, 900, "d", (
              Variant("2019/12/anh-480.jpg", 480, "JPEG"), Variant("2019/12/anh-480.webp", 480, "WEBP"))),
          "2019/12/hinh.png": ImageInfo("2019/12/hinh.png", 300, 200, "e")}


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SANITISED_OR_NOT)
def test_html_not_sanitised_is_what_nh3_would_give_back(text):
    """The Markdown stage skips nh3 only for HTML that nh3 returns unchanged."""
    md = make_markdown({"CĐVC": "Công đoàn Viên chức", "A>B": 'x"y>z'})
    md.reset()
    md.links = Links("2019/12", "/", {"2019/12/bai.md": "/2019/12/bai/"},
                     frozenset({"2019/12/anh.jpg", "2019/12/hinh.png"}), IMAGES)
    html = md.convert(text)
    if not _needs_sanitising(text, html):
        assert sanitise(html) == html


def test_sanitising_is_skipped_only_where_it_is_safe():
    """The gate lets plain articles through and sends everything nh3 acts on to nh3."""
    plain = "Đại hội **CĐVC** tỉnh.\n\n![Ảnh](anh.jpg \"Chú thích\")\n\n[Bài](https://a.vn/x?y=1#z) và [bài](bai.md)."
    md = make_markdown({})
    assert not _needs_sanitising(plain, md.convert(plain))
    for text in ("[x](javascript:alert(1))", "[x](http://a.vn[x])", "[x](data:x)", "<b>x</b>", "x{: onclick=y}",
                 "a &amp; b", "a\xa0b", "\n| a |\n|:-|\n| 1 |\n", "[x](a:b)", "a\x00b"):
        md.reset()
        assert _needs_sanitising(text, md.convert(text)), text
    # and the unsafe ones come out clean from the whole stage
    html = render_markdown(make_markdown({}), "[x](javascript:alert(1)) <script>y</script>",
                           Links("2019/12", "/", {}, frozenset()))
    assert "javascript" not in html and "<script" not in html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab.đ-_ ", min_size=1, max_size=8).filter(lambda p: p not in (".", "..")),
                min_size=1, max_size=4))
def test_an_articles_file_stem_is_pathlibs(parts):
    """read_article takes a slug from the file name with _stem(), not Path(rel).stem (for the
    paths the content walk gives: no "." or ".." parts, no empty ones)."""
    from pathlib import PurePosixPath

    from sitegen.load import _stem

    rel = "/".join(parts)
    assert _stem(rel) == PurePosixPath(rel).stem


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=300_000), st.integers(min_value=2, max_value=16))
def test_chunks_cover_the_work_in_order_and_shrink_towards_the_end(count, processes):
    """map_chunks' chunks: [0, count) in order without gaps or empty chunks; none larger than an
    eighth of the work on two cores (what a worker holds at once); the last ones small."""
    from sitegen.parallel import chunk_bounds

    bounds = chunk_bounds(count, processes)
    assert bounds[0][0] == 0 and bounds[-1][1] == count
    assert all(start < end for start, end in bounds)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [end - start for start, end in bounds]
    assert max(sizes) <= -(-count // (processes * 4))
    assert sizes[-1] <= max(1, count // (processes * 32)) and len(bounds) <= 11 * processes
    assert sizes == sorted(sizes, reverse=True)


def test_map_chunks_gives_the_results_in_input_order_from_forked_workers(monkeypatch):
    import os

    import sitegen.parallel as parallel

    monkeypatch.setattr(parallel, "workers", lambda: 2)
    parent = os.getpid()
    results = parallel.map_chunks(lambda start, end: [(n, os.getpid() != parent) for n in range(start, end)], 5000)
    assert [n for n, _ in results] == list(range(5000))
    assert all(forked for _, forked in results)


def test_each_done_gives_each_result_as_its_forked_worker_finishes_it(monkeypatch, tmp_path):
    """each_done: every item once, from forked workers, a quick item before a slow one given
    earlier; a caller that stops early leaves the items not yet started undone."""
    import os
    import time

    import sitegen.parallel as parallel

    monkeypatch.setattr(parallel, "workers", lambda: 2)
    parent = os.getpid()

    def job(item: int) -> tuple[int, bool]:
        (tmp_path / f"started-{item}").touch()
        time.sleep(1.0 if item == 0 else 0.01)
        return item * item, os.getpid() != parent

    seen = list(parallel.each_done(job, 6))
    assert sorted(item for item, _ in seen) == list(range(6)) and seen[-1][0] == 0
    assert all(result == (item * item, True) for item, result in seen)
    for started in tmp_path.glob("started-*"):
        started.unlink()
    for item, _ in parallel.each_done(job, 40):
        break
    assert len(list(tmp_path.glob("started-*"))) < 40
    # without a second core (or with fork=False) the items are done here, in order
    assert [item for item, (_, forked) in parallel.each_done(job, 3, fork=False) if not forked] == [0, 1, 2]


YAML_SCALARS = st.one_of(st.sampled_from(["yes", "No", "on", "OFF", "true", "null", "~", "", "1", "-1.5", "0x1F", "0o17",
                                          ".inf", "1_000", "2019-12-25", "12:30:00", "tinh", "=", "<<", "title"]),
                         st.text(alphabet="0123456789.-+_:eE xXoOabntuly~Đ", max_size=12), st.text(max_size=50))


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(YAML_SCALARS, st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_front_matter_scalars_get_pyyamls_tags_from_the_memo(scalars):
    """The loader keeps the tag of short scalars it resolved; each answer is PyYAML's own."""
    import yaml

    from sitegen.yamlload import _Loader

    loader = _Loader("")
    for _ in range(2):      # the second time from the memo
        for value, plain, quoted in scalars:
            expected = yaml.resolver.BaseResolver.resolve(loader, yaml.ScalarNode, value, (plain, quoted))
            assert loader.resolve(yaml.ScalarNode, value, (plain, quoted)) == expected, (value, plain, quoted)


# Vietnamese letters, punctuation (ASCII and not), glossary words, and any other character
VIETNAMESE_TEXT = st.lists(st.one_of(
    st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyĐÊÔƠƯ0129 ,.;:–—“”…-/()\n\t&'\"")),
    st.sampled_from(["Công", "đoàn", "Viên", "chức", "Liên", "Lao", "động", "CC,VC,LĐ", "Tổng", "Việt", "Nam", " "]),
    st.characters(blacklist_categories=("Cs",))), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(VIETNAMESE_TEXT)
def test_search_texts_without_underscore_are_read_as_any_other(text):
    """search_text's fast path (a text without "_" or MARK) marks, folds and finds the keys and
    glossary phrases exactly as the general path does."""
    import unicodedata

    from sitegen import searchtext
    from sitegen.searchtext import MARK, Glossary

    glossary = Glossary({"CĐVC": "Công đoàn Viên chức", "LĐLĐ": "Liên đoàn Lao động",
                         "TLĐ": "Tổng Liên đoàn Lao động Việt Nam", "CC,VC,LĐ": "công chức, viên chức, lao động"})
    text = unicodedata.normalize("NFC", text.replace("_", "").replace(MARK, ""))
    marked = searchtext._WORD_END.sub(MARK, text)
    assert searchtext._WORD_END_PLAIN.sub(MARK, text) == marked
    general, fast = searchtext.fold_chars(marked), marked.translate(searchtext._FOLD_WORDS)
    assert {word[:-len(MARK)] for word in set(fast.split())} == set(searchtext._KEY.findall(general))
    assert glossary.phrase_keys(fast) == glossary.phrase_keys(general)
