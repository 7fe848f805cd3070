"""The Markdown stage: extensions, figures, links, sanitising, summaries."""
import pytest

from sitegen.markdown import Links, derive_summary, make_markdown, render_markdown, truncate

from .stock import stock_markdown


@pytest.fixture(scope="module")
def md():
    return make_markdown()


def render(md, text, links=None):
    return render_markdown(md, text, links or Links("2019/12", "/", {}, frozenset()))


def test_tables_wrapped_for_phones(md):
    html = render(md, "| Chỉ tiêu | Kết quả |\n|---|--:|\n| CĐCS | 53 |\n")
    assert '<div class="table-wrap" tabindex="0" role="region" aria-label="Bảng (kéo ngang để xem hết)"><table>' in html
    assert '<td style="text-align:right">53</td>' in html


def test_footnotes_with_vietnamese_backlink(md):
    html = render(md, "Nghị quyết[^1].\n\n[^1]: Nghị quyết số 05.\n")
    assert 'href="#fn:1"' in html and 'id="fn:1"' in html
    assert 'title="Quay lại chỗ chú thích 1 trong bài"' in html


def test_heading_ids_are_ascii(md):
    html = render(md, "## Đại hội Công đoàn\n\n### Thỏa ước lao động\n\n## Đại hội Công đoàn\n")
    assert '<h2 id="dai-hoi-cong-doan">' in html
    assert '<h3 id="thoa-uoc-lao-dong">' in html
    assert '<h2 id="dai-hoi-cong-doan_1">' in html


def test_attribute_lists(md):
    assert '<p class="note">Ghi chú</p>' in render(md, "Ghi chú\n{: .note }\n")


def test_image_alone_becomes_figure_with_caption(md):
    links = Links("2019/12", "/", {}, frozenset({"2019/12/anh/x.jpg"}))
    html = render(md, '![Quang cảnh](anh/x.jpg "Quang cảnh hội nghị")\n', links)
    assert html.startswith("<figure>")
    assert '<img alt="Quang cảnh" src="/2019/12/anh/x.jpg">' in html
    assert "<figcaption>Quang cảnh hội nghị</figcaption>" in html
    assert "title=" not in html


def test_inline_image_stays_inline(md):
    links = Links("2019/12", "/", {}, frozenset({"2019/12/x.png"}))
    html = render(md, "Biểu tượng ![x](x.png) trong câu.\n", links)
    assert "<figure>" not in html and "<p>Biểu tượng" in html


def test_links_to_articles_and_files_are_resolved(md):
    links = Links("2019/12", "/portal/", {"2020/06/b.md": "/portal/2020/06/b/"}, frozenset({"tep/qd.pdf"}))
    html = render(md, "[b](../../2020/06/b.md#y) [qd](/tep/qd.pdf) [x](https://a.vn/) [m](missing.md)", links)
    assert 'href="/portal/2020/06/b/#y"' in html
    assert 'href="/portal/tep/qd.pdf"' in html
    assert 'href="https://a.vn/"' in html
    assert links.missing == [("link", "missing.md")]


def test_an_address_urlsplit_refuses_is_noted_not_raised(md):
    # Found by test_properties: "http://a.vn[" made urlsplit raise ValueError out of the build.
    links = Links("2019/12", "/", {}, frozenset())
    html = render(md, "<http://a.vn[> and [x](http://b.vn]/)", links)
    assert "<a>http://a.vn[</a>" in html          # the sanitiser drops an address it cannot parse
    assert links.missing == [("address", "http://a.vn["), ("address", "http://b.vn]/")]


@pytest.mark.parametrize("evil", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[x](javascript:alert(1))",
    "<style>body{display:none}</style>",
    '<div style="position:fixed">x</div>',
    '<iframe src="https://evil.example/"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<p onclick="alert(1)" onmouseover="x">x</p>',
])
def test_sanitiser_removes_script_vectors(md, evil):
    html = render(md, f"Đoạn văn.\n\n{evil}\n").lower()
    assert "<script" not in html and "javascript:" not in html and "vbscript:" not in html
    assert "data:text" not in html and " on" not in html.replace("<p>đoạn văn.</p>", "")
    assert "<style" not in html and "<iframe" not in html and "position:fixed" not in html


def test_sanitiser_keeps_harmless_html(md):
    html = render(md, "<p>Chữ <strong>đậm</strong> và <abbr title=\"Công đoàn Viên chức\">CĐVC</abbr></p>\n")
    assert '<abbr title="Công đoàn Viên chức">CĐVC</abbr>' in html and "<strong>đậm</strong>" in html


def test_summary_first_paragraph_cut_at_word_boundary():
    body = "<figure><figcaption>Ảnh</figcaption></figure><p>" + "Công đoàn viên chức tỉnh " * 20 + "</p><p>Hai</p>"
    summary = derive_summary(body)
    assert len(summary) <= 200 and summary.endswith("…")
    assert summary[:-1].endswith(("Công", "đoàn", "viên", "chức", "tỉnh"))
    assert derive_summary("<p>Ngắn &amp; gọn</p>") == "Ngắn & gọn"
    assert derive_summary("<h2>x</h2>") == ""


def test_truncate_short_text_unchanged():
    assert truncate("Hội nghị", 200) == "Hội nghị"
    assert truncate("a" * 300, 200) == "a" * 199 + "…"


GLOSSARY = {"CĐVC": "Công đoàn Viên chức", "CNVC": "công nhân viên chức", "CNVCLĐ": "công nhân, viên chức, lao động",
            "CĐCS": "Công đoàn cơ sở"}


def test_first_use_of_each_abbreviation_is_wrapped():
    md = make_markdown(GLOSSARY)
    html = render(md, "## CĐVC tỉnh\n\nSáng 23/6, CĐVC tỉnh và *CĐCS trực thuộc*, CĐVC, CNVCLĐ và CNVC; "
                      "[CĐCS](https://x.vn/) CĐCS.\n\nLần hai CĐVC.\n\n`CNVC`\n")
    assert html.count("<abbr") == 4
    assert '<h2 id="cdvc-tinh">CĐVC tỉnh</h2>' in html                       # headings are left alone
    assert 'Sáng 23/6, <abbr title="Công đoàn Viên chức">CĐVC</abbr> tỉnh' in html
    assert '<em><abbr title="Công đoàn cơ sở">CĐCS</abbr> trực thuộc</em>' in html
    assert '<abbr title="công nhân, viên chức, lao động">CNVCLĐ</abbr> và <abbr title="công nhân viên chức">CNVC</abbr>;' in html
    assert '<a href="https://x.vn/">CĐCS</a> CĐCS.' in html                  # links are not touched
    assert "<p>Lần hai CĐVC.</p>" in html


def test_abbreviations_need_word_boundaries():
    md = make_markdown(GLOSSARY)
    assert "<abbr" not in render(md, "XCĐVC và CĐVCX\n")
    assert render(make_markdown({}), "CĐVC\n") == "<p>CĐVC</p>"


# --- the gated inline processor: the stock processor's output, with searches skipped ---

INLINE_SAMPLES = [
    "Chữ thường, không ký tự đặc biệt nào: CĐVC, LĐLĐ, CNVCLĐ.",
    "`mã` và ``hai `dấu` huyền`` rồi \\`không phải mã\\`",
    "\\*không nghiêng\\* \\_không nghiêng\\_ \\[không liên kết\\] \\\\",
    "*nghiêng* **đậm** ***cả hai*** _gạch_ __đậm__ a_b_c 2*3*4 * sao lẻ _",
    "[liên kết](https://congdoan.vn \"tiêu đề\") [tham chiếu][r] [r] ![ảnh](a.jpg) ![ảnh][i]\n\n"
    "[r]: https://congdoan.vn\n[i]: a.jpg",
    "<https://congdoan.vn/a?b=1> <ban@congdoan.vn> <span class=\"x\">thẻ</span> <!-- chú thích -->",
    "dòng một  \ndòng hai (xuống dòng cứng) & &amp; &#272; &#x110; &copy",
    "Chú thích[^1] và [^2].\n\n[^1]: Một.\n[^2]: Hai *nghiêng*.",
    "# Tiêu đề *nghiêng* `mã` {#rieng}\n\n| a | *b* |\n|---|---|\n| `c` | [d](e) |",
    "[*nghiêng trong liên kết* và `mã`](x) **đậm có [liên kết](y) trong**",
    "![ảnh một mình](anh.jpg \"Chú thích ảnh\")",
    "a < b > c & d ! [ ] ^ ` \\ _ * chữ",
]


def _stock(glossary=None):
    return stock_markdown(glossary)


@pytest.mark.parametrize("text", INLINE_SAMPLES)
def test_gated_inline_processor_matches_stock(md, text):
    assert render(md, text) == render(_stock(), text)


# --- the gated block processors: asked only about blocks that contain their trigger strings ---

BLOCK_SAMPLES = [
    "Đoạn văn thường, không có ký tự nào: CĐVC, LĐLĐ, CNVCLĐ.\n\nĐoạn hai.",
    "# Một\n## Hai ##\nđoạn sau tiêu đề\n\nđoạn có # ở giữa và #thẻ\n\n####### bảy dấu",
    "Tiêu đề setext\n===\n\nTiêu đề hai\n---\n\nchữ - gạch = bằng\n\n-\n=",
    "Trên\n\n---\n\n* * *\n\n___\n\n- - -\n\nchữ *** chữ\n\n2 - 3 - 4 -",
    "> Trích dẫn\n> hai dòng\n\n> > lồng\n\na > b và c>d\n\n   > ba dấu cách",
    "[a]: https://congdoan.vn \"Tiêu đề\"\n[b]: <https://b.vn>\n  (Tiêu đề hai)\n\n[a] [b] chữ ]: giữa dòng\n\n[c]:",
    "Chú thích[^1][^x].\n\n[^1]: Một\n    dòng tiếp\n\n    đoạn hai\n[^x]: Hai\n\nchữ [^ không phải",
    "- một\n- hai\n    > trích trong danh sách\n\n    # tiêu đề trong danh sách\n\n1. số\n2. hai\n\n* sao\n\n    mã thụt lề",
    "Dòng\n> không phải trích dẫn vì liền đoạn?\nDòng # giữa\n---",
    "| a | b |\n|---|---|\n| > | # |\n\n<div>\n# không phải tiêu đề\n</div>",
    "Không có thẻ nào, cũng không có ký hiệu và.\n\nHai dòng\nliền nhau.",
    "Chỉ có ký hiệu & và &amp; và &#272; và &copy\n\nA&B",
    "<p>khối HTML</p>\n\nchữ <b>đậm</b> <!-- chú thích -->\n\n<div markdown>\n*x*\n</div>\n\n< không phải thẻ",
    "## Tiêu đề {#rieng .lop}\n\nĐoạn\n{: .ghi-chu }\n\n*nghiêng*{: .x } và \\{ thoát \\} và &#123;x&#125;\n\n- mục\n{: #danh-sach }",
    "Không có ngoặc nhọn nào: đoạn một.\n\n## Tiêu đề thường\n\n| a | b |\n|---|---|\n| 1 | 2 |",
]


@pytest.mark.parametrize("text", BLOCK_SAMPLES)
def test_gated_block_processors_match_stock(md, text):
    assert render(md, text) == render(_stock(), text)


def test_every_searching_block_processor_is_gated(md):
    """A Python-Markdown upgrade that changes one of these regexes switches its gate off (output
    stays right, slower): this test says so."""
    from sitegen.speedups.markdown import _GatedBlock
    gated = {item.name for item in md.parser.blockprocessors._priority
             if isinstance(md.parser.blockprocessors[item.name], _GatedBlock)}
    assert gated == {"hashheader", "setextheader", "hr", "quote", "reference", "footnote"}
    from sitegen.speedups.markdown import _GatedHtmlBlock
    assert isinstance(md.preprocessors["html_block"], _GatedHtmlBlock)
    from sitegen.speedups.markdown import _GatedAttrList
    assert isinstance(md.treeprocessors["attr_list"], _GatedAttrList)


def test_gated_inline_processor_matches_stock_on_sample_site(md):
    from pathlib import Path
    import frontmatter
    root = Path(__file__).resolve().parent.parent / "content"
    texts = [frontmatter.load(path).content for path in sorted(root.rglob("*.md"))]
    assert texts
    stock = _stock()
    for text in texts:
        assert render(md, text) == render(stock, text)


def test_every_inline_pattern_is_gated(md):
    """If a Python-Markdown upgrade changes a pattern's regex its gate switches off (output stays
    right, but slower): this test says so."""
    from sitegen.speedups.markdown import _GatedInline, _gate
    assert isinstance(md.treeprocessors["inline"], _GatedInline)
    ungated = [item.name for item in md.inlinePatterns._priority if _gate(item.name, md.inlinePatterns[item.name]) is None]
    assert ungated == []


def test_block_processors_listed_once_are_listed_again_when_they_change():
    """The block parser's registry keeps its sorted list until a processor is registered or
    removed: one added after a first article is used on the next."""
    import xml.etree.ElementTree as etree

    from markdown.blockprocessors import BlockProcessor

    class Notice(BlockProcessor):
        def test(self, parent, block):
            return block.startswith("!!!")

        def run(self, parent, blocks):
            etree.SubElement(parent, "aside").text = blocks.pop(0)[3:].strip()

    md = make_markdown()
    assert "<aside>" not in md.convert("!!! Chú ý\n\nĐoạn.")
    md.parser.blockprocessors.register(Notice(md.parser), "notice", 200)
    assert "<aside>Chú ý</aside>" in md.reset().convert("!!! Chú ý\n\nĐoạn.")
    md.parser.blockprocessors.deregister("notice")
    assert "<aside>" not in md.reset().convert("!!! Chú ý\n\nĐoạn.")
