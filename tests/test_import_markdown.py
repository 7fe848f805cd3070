"""HTML -> the portal's Markdown (sitegen/importers/tomarkdown.py): what the build reads back is
what the source said, structure and text, for any HTML of the kinds importers meet."""
from __future__ import annotations

import html
import re

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.importers.tomarkdown import escape_text, html_to_markdown
from sitegen.markdown import Links, make_markdown, render_markdown, sanitise
from sitegen.text import clean

MD = make_markdown({})


def render(markdown_text: str) -> str:
    return render_markdown(MD, markdown_text, Links("2019/12", "/", {}, frozenset()))


def shape(fragment: str) -> list:
    """The structure of an HTML fragment as nested (tag, attributes that matter, children) with
    text collapsed: what a reader sees, without the wrappers and ids the build adds."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")

    def walk(el) -> list:
        out: list = []
        if el.text:
            out.append(el.text)
        for child in el:
            if not isinstance(child.tag, str):
                pass
            elif child.tag in ("div", "thead", "tbody", "picture", "source") or (
                    child.tag == "span" and not child.attrib):
                out.extend(walk(child))
            else:
                keep = tuple((k, child.get(k)) for k in ("href", "src", "alt", "start") if child.get(k) is not None)
                out.append((child.tag, keep, walk(child)))
            if child.tail:
                out.append(child.tail)
        merged: list = []
        for item in out:
            if isinstance(item, str):
                text = " ".join(item.split())
                if not text:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] = merged[-1] + " " + text
                else:
                    merged.append(text)
            else:
                merged.append(item)
        return merged

    return walk(root)


def round_trip(fragment: str) -> str:
    return render(html_to_markdown(sanitise(fragment)).markdown)


# --- fixed cases -----------------------------------------------------------

@pytest.mark.parametrize("fragment", [
    "<p>Hội nghị <strong>tổng kết</strong> năm <em>2019</em>.</p>",
    "<h2>Đại hội</h2><p>Nội dung.</p>",
    "<ul><li>một</li><li>hai<ul><li>ba<ol><li>bốn</li></ol></li></ul></li></ul>",
    "<ol start=\"3\"><li>ba</li><li>bốn</li></ol>",
    "<blockquote><p>Trích dẫn.</p><p>Đoạn hai.</p></blockquote>",
    "<p><a href=\"https://congdoan.vn/a\">liên kết</a> và <code>mã</code></p>",
    "<table><tr><th>Đơn vị</th><th>Số</th></tr><tr><td>CĐVC</td><td>53</td></tr></table>",
    "<p>Dòng một<br>dòng hai</p>",
    "<pre><code>code\n  indented</code></pre>",
])
def test_structure_survives_the_round_trip(fragment):
    assert shape(round_trip(fragment)) == shape(sanitise(fragment))


def test_characters_markdown_would_read_as_syntax_stay_text():
    text = "*sao* _gạch_ [a](b) `mã` <b>thẻ</b> &amp; &lt; # đầu 1. số {: .x} \\ ![i](j) [^1]"
    out = round_trip(f"<p>{html.escape(text)}</p>")
    assert shape(out) == [("p", (), [text])]


@pytest.mark.parametrize("line", ["# không phải tiêu đề", "> không phải trích dẫn", "- không phải danh sách",
                                  "+ cũng không", "1. không phải số thứ tự", "===", "---"])
def test_line_starts_are_escaped(line):
    assert shape(round_trip(f"<p>{html.escape(line)}</p>")) == [("p", (), [line])]


def test_photo_with_caption_becomes_the_portals_figure():
    fragment = '<figure><img src="anh/x.jpg" alt="Hội nghị"><figcaption>Quang cảnh "hội nghị"</figcaption></figure>'
    markdown = html_to_markdown(sanitise(fragment)).markdown
    assert markdown.strip() == '![Hội nghị](anh/x.jpg "Quang cảnh &quot;hội nghị&quot;")'
    assert shape(render(markdown)) == [("figure", (), [("img", (("src", "anh/x.jpg"), ("alt", "Hội nghị")), []),
                                                       ("figcaption", (), ['Quang cảnh "hội nghị"'])])]


def test_image_linked_to_its_file_is_the_larger_photo():
    fragment = ('<p><a href="http://old.vn/wp-content/uploads/a.jpg"><img src="http://old.vn/wp-content/uploads/'
                'a-300x200.jpg" alt="A"></a></p>')
    assert html_to_markdown(fragment).markdown.strip() == "![A](http://old.vn/wp-content/uploads/a.jpg)"


def test_footnotes_from_mammoth_and_from_python_markdown():
    mammoth = ('<p>Một<sup><a href="#footnote-1" id="footnote-ref-1">[1]</a></sup> hai.</p><ol><li id="footnote-1">'
               '<p> Ghi chú. <a href="#footnote-ref-1">↑</a></p></li></ol>')
    assert html_to_markdown(mammoth).markdown == "Một[^1] hai.\n\n[^1]: Ghi chú.\n"
    ours = render("Một[^1] hai.\n\n[^1]: Ghi chú.\n")
    assert html_to_markdown(sanitise(ours)).markdown == "Một[^1] hai.\n\n[^1]: Ghi chú.\n"


def test_word_html_footnotes_with_name_anchors():
    word = ('<p>Văn bản<a href="#_ftn1" id="_ftnref1">[1]</a>.</p><div><p><a href="#_ftnref1" id="_ftn1">[1]</a> '
            'Nguồn: LĐLĐ tỉnh.</p></div>')
    assert html_to_markdown(word).markdown == "Văn bản[^1].\n\n[^1]: Nguồn: LĐLĐ tỉnh.\n"


def test_body_headings_start_at_level_two():
    markdown = html_to_markdown("<h1>Một</h1><h2>Hai</h2><p>x</p>").markdown
    assert markdown.startswith("## Một\n\n### Hai")


def test_old_system_leftovers_are_dropped():
    fragment = ('<p style="color:red" class="MsoNormal"><span lang="VI"><font face="Arial">Nội&nbsp;&nbsp;&nbsp;dung'
                '</font></span></p><p>&nbsp;</p><p></p><p><span> </span></p><div><br></div>')
    assert html_to_markdown(sanitise(fragment)).markdown == "Nội dung\n"


def test_table_cells_with_pipes_paragraphs_and_spans():
    fragment = ('<table><tr><td><p>a|b</p><p>c</p></td><td colspan="2">d</td></tr>'
                '<tr><td>1</td><td>2</td><td>3</td></tr></table>')
    markdown = html_to_markdown(fragment).markdown
    assert markdown == "| a\\|b<br>c | d |  |\n|---|---|---|\n| 1 | 2 | 3 |\n"
    cells = [c for row in shape(render(markdown))[0][2] for c in row[2]]
    assert [c[2] for c in cells] == [["a|b", ("br", (), []), "c"], ["d"], [], ["1"], ["2"], ["3"]]


def test_a_layout_table_is_unwrapped():
    fragment = "<table><tr><td><p>Đoạn một.</p><table><tr><td>x</td><td>y</td></tr></table></td></tr></table>"
    markdown = html_to_markdown(fragment).markdown
    assert markdown.startswith("Đoạn một.\n\n| x | y |")


def test_two_adjacent_lists_stay_two():
    out = round_trip("<ul><li>a</li></ul><ul><li>b</li></ul>")
    assert [item[0] for item in shape(out)] == ["ul", "ul"]


def test_escape_text_is_idempotent_on_plain_words():
    assert escape_text("Công đoàn Viên chức tỉnh Sóc Trăng") == "Công đoàn Viên chức tỉnh Sóc Trăng"


# --- any HTML of these kinds -----------------------------------------------

WORDS = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơ ĐẠỆ0123456789.,;:!?()'\"*_[]{}#<>&`\\|-+=~^")),
                min_size=1, max_size=30).map(lambda s: s.strip() or "x")
SAFE_URL = st.sampled_from(["https://congdoan.vn/a", "http://old.vn/tin/1.html", "https://x.vn/a(b)c", "/tin/2",
                            "https://x.vn/?a=1&b=2"])


def _inline(depth: int = 0):
    leaf = WORDS.map(html.escape)
    if depth >= 2:
        return leaf
    inner = _inline(depth + 1)
    return st.one_of(
        leaf,
        inner.map(lambda t: f"<strong>{t}</strong>"),
        inner.map(lambda t: f"<em>{t}</em>"),
        st.tuples(SAFE_URL, leaf).map(lambda p: f'<a href="{html.escape(p[0])}">{p[1]}</a>'),
        leaf.map(lambda t: f"<code>{t}</code>"),
    )


INLINE = st.lists(_inline(), min_size=1, max_size=4).map(" ".join)


def _list(depth: int = 0):
    item = INLINE if depth >= 2 else st.one_of(INLINE, st.tuples(INLINE, _list(depth + 1)).map("".join))
    return st.tuples(st.sampled_from(["ul", "ol"]), st.lists(item, min_size=1, max_size=3)).map(
        lambda p: f"<{p[0]}>" + "".join(f"<li>{i}</li>" for i in p[1]) + f"</{p[0]}>")


TABLE = st.tuples(st.integers(2, 3), st.lists(st.lists(WORDS.map(html.escape), min_size=3, max_size=3),
                                               min_size=2, max_size=3)).map(
    lambda p: "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row[:p[0]]) + "</tr>" for row in p[1])
    + "</table>")
BLOCK = st.one_of(
    INLINE.map(lambda t: f"<p>{t}</p>"),
    st.tuples(st.sampled_from(["h2", "h3", "h4"]), WORDS.map(html.escape)).map(lambda p: f"<{p[0]}>{p[1]}</{p[0]}>"),
    _list(),
    INLINE.map(lambda t: f"<blockquote><p>{t}</p></blockquote>"),
    TABLE,
    st.tuples(WORDS, WORDS).map(lambda p: f'<figure><img src="anh/a.jpg" alt="{html.escape(p[0])}">'
                                          f"<figcaption>{html.escape(p[1])}</figcaption></figure>"),
)


def _normalised(tree: list) -> list:
    """Shapes compared without what the round trip legitimately changes: a table's first row
    becomes its header (<th>), headings get ids, a figure's caption is plain text."""
    out = []
    for item in tree:
        if isinstance(item, str):
            out.append(item)
            continue
        tag, attrs, children = item
        tag = "td" if tag == "th" else tag
        if tag == "figcaption":
            children = [" ".join(_text(children).split())]
        if tag in ("em", "strong"):
            children = _flatten(children, tag)
        if tag == "em" and len(children) == 1 and not isinstance(children[0], str) and children[0][0] == "strong":
            # <em><strong>x</strong></em> and <strong><em>x</em></strong> look the same; Markdown
            # writes both as ***x***, which reads back as the second
            tag, attrs, children = "strong", (), [("em", (), children[0][2])]
        out.append((tag, attrs, _normalised(children)))
    return out


def _flatten(children: list, tag: str) -> list:
    """<em><em>x</em></em> is <em>x</em>."""
    out = []
    for child in children:
        if not isinstance(child, str) and child[0] == tag:
            out.extend(_flatten(child[2], tag))
        else:
            out.append(child)
    return out


def _text(tree: list) -> str:
    return " ".join(item if isinstance(item, str) else _text(item[2]) for item in tree)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(BLOCK, min_size=1, max_size=5))
def test_any_body_reads_back_the_same(blocks):
    fragment = sanitise("".join(blocks))
    expected = _normalised(shape(fragment))
    got = _normalised(shape(round_trip(fragment)))
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_text_is_kept_as_text(text):
    fragment = f"<p>{html.escape(clean(text))}</p>"      # the import stage cleans every text first
    expected = " ".join(re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000\ue001]", "",
                               lxml.html.fragment_fromstring(sanitise(fragment), create_parent="div").text_content()
                               ).split())
    got = lxml.html.fragment_fromstring(round_trip(fragment) or "<p></p>", create_parent="div").text_content()
    assert " ".join(got.split()) == expected
