"""Hostile and malformed input, table-driven: each case is a small site; the result is either a clear
`path: field: message` error (exit 1, previous output untouched) or a build whose output is safe."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from .conftest import SITE_YAML, SiteMaker, article
from .safety import unsafe_parts

FM = "---\ntitle: {title}\ndate: 2019-12-25\nlevel: tinh\n---\n\n{body}\n"


def fm(title: str = "Bài thử", body: str = "Nội dung.", **extra: str) -> str:
    text = FM.format(title=title, body=body)
    if extra:
        lines = "".join(f"{k}: {v}\n" for k, v in extra.items())
        text = text.replace("level: tinh\n", "level: tinh\n" + lines, 1)
    return text


@dataclass
class Case:
    """A site to build. `error` is the expected first error line (a regex); None means it must build."""

    files: dict[str, str | bytes]
    error: str | None = None
    check: Callable[[Path], None] | None = None   # for builds: what must (not) be in the output
    setup: Callable[[Path], None] | None = None
    extra: dict = field(default_factory=dict)


def no_script(out: Path) -> None:
    """No page has a script we did not put there, an event-handler attribute or a script URL."""
    for page in out.rglob("*.html"):
        assert unsafe_parts(page.read_text(encoding="utf-8")) == [], page


def contains(text: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        no_script(out)
        assert any(text in p.read_text(encoding="utf-8") for p in out.rglob("*.html")), text
    return check


XSS = "<script>alert(1)</script>"
CASES: dict[str, Case] = {
    # --- structure and YAML
    "invalid yaml": Case({"a.md": "---\ntitle: [không đóng\ndate: 2019-12-25\n---\nx"},
                         r"content/a\.md:\d+: front matter: invalid YAML"),
    "front matter not closed": Case({"a.md": "---\ntitle: A\ndate: 2019-12-25\nlevel: tinh\n"},
                                    r'content/a\.md:1: front matter: not closed'),
    "no front matter": Case({"a.md": "Chỉ có nội dung.\n"}, r"content/a\.md:1: front matter: missing"),
    "empty file": Case({"a.md": ""}, r"content/a\.md:1: front matter: missing"),
    "front matter is a list": Case({"a.md": "---\n- a\n---\nx"}, r'content/a\.md:2: front matter: expected fields'),
    "missing title": Case({"a.md": "---\ndate: 2019-12-25\nlevel: tinh\n---\nx"}, r"content/a\.md: title: is required"),
    "missing date": Case({"a.md": "---\ntitle: A\nlevel: tinh\n---\nx"}, r"content/a\.md: date: is required"),
    "missing level": Case({"a.md": "---\ntitle: A\ndate: 2019-12-25\n---\nx"}, r"content/a\.md: level: is required"),
    "title is a list": Case({"a.md": fm(title="[a, b]")}, r"content/a\.md: title: expected text, got a list"),
    "title is a mapping": Case({"a.md": fm(title="{a: 1}")}, r"content/a\.md: title: expected text, got a mapping"),
    "date is a number": Case({"a.md": fm().replace("date: 2019-12-25", "date: 20191225")},
                             r'content/a\.md: date: expected a date like 2019-12-25 or 25/12/2019, got "20191225"'),
    "unknown level": Case({"a.md": fm().replace("level: tinh", "level: huyen")},
                          r'content/a\.md: level: unknown level "huyen"'),
    "impossible date": Case({"a.md": fm().replace("2019-12-25", "31/02/2020")},
                            r'content/a\.md: date: .*got "31/02/2020" \(day is out of range for month\)'),
    "date far in the past": Case({"a.md": fm().replace("2019-12-25", "01/01/0099")},
                                 r"content/a\.md: date: .*\(year 99 is outside 1900–2100\)"),
    "date far in the future": Case({"a.md": fm().replace("2019-12-25", "01/01/9999")},
                                   r"content/a\.md: date: .*\(year 9999 is outside 1900–2100\)"),
    "duplicate key": Case({"a.md": fm(title="A", extra_title="x").replace("extra_title", "title")},
                          r'content/a\.md:\d+: front matter: key "title" is given twice'),
    "duplicate slugs": Case({"a.md": fm(title="A", slug="trung"), "b.md": fm(title="B", slug="trung")},
                            r'content/b\.md: slug: "/2019/12/trung/" is also the URL of content/a\.md'),
    "slug with slash": Case({"a.md": fm(slug='"a/b"')}, r'content/a\.md: slug: expected lowercase ASCII'),
    "slug with dots": Case({"a.md": fm(slug='".."')}, r'content/a\.md: slug: expected lowercase ASCII'),
    "slug with backslash": Case({"a.md": fm(slug='"a\\\\b"')}, r'content/a\.md: slug: expected lowercase ASCII'),
    "slug absolute path": Case({"a.md": fm(slug='"/etc/passwd"')}, r'content/a\.md: slug: expected lowercase ASCII'),
    "image path escapes": Case({"a.md": fm(image='"../../../etc/passwd"', image_alt="x")},
                               r'content/a\.md: image: expected a path inside content/'),
    "image absolute file url": Case({"a.md": fm(image='"file:///etc/passwd"', image_alt="x")},
                                    r'content/a\.md: image: expected a path'),
    "yaml alias bomb": Case({"a.md": "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                                     "title: A\ndate: 2019-12-25\nlevel: tinh\n---\nx"},
                            r"content/a\.md:\d+: front matter: aliases \(\*name\) are not allowed"),
    "yaml python object tag": Case({"a.md": "---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n"
                                            "date: 2019-12-25\nlevel: tinh\n---\nx"},
                                   r"content/a\.md:2: front matter: invalid YAML: YAML tags that build objects"),
    "yaml binary tag": Case({"a.md": fm(title="!!binary aGVsbG8=")}, r"content/a\.md: title: expected text"),
    # --- encodings and bytes
    "utf-16 file": Case({"a.md": fm(title="Nữ công").encode("utf-16")}, None, contains("<h1>Nữ công</h1>")),
    "utf-8 with bom": Case({"a.md": b"\xef\xbb\xbf" + fm(title="Có BOM").encode()}, None, contains("<h1>Có BOM</h1>")),
    "crlf line endings": Case({"a.md": fm(title="CRLF", body="Dòng một.\n\nDòng hai.").replace("\n", "\r\n")},
                              None, contains("<p>Dòng hai.</p>")),
    "nul bytes": Case({"a.md": fm().encode() + b"\x00\x00"}, r"content/a\.md: file: contains NUL bytes"),
    "latin-1 bytes": Case({"a.md": "---\ntitle: Caf\xe9\ndate: 2019-12-25\nlevel: tinh\n---\nx\n".encode("latin-1")},
                          r"content/a\.md: file: line 2 is not UTF-8"),
    "control characters": Case({"a.md": fm(title='"Tiêu\\x07 đề"', body="Thân\x1b[31m bài\x0c.")},
                               None, contains("Thân[31m bài.")),
    "zero-width and bidi characters": Case({"a.md": fm(title='"Bài\u200b\u202e viết"', body="Chữ\u2066 ẩn\u200d.")},
                                           None, contains("Bài")),
    "emoji": Case({"a.md": fm(title='"Chúc mừng 🎉 Tết"', body="Xuân an khang 🌸.")},
                  None, contains("Chúc mừng 🎉 Tết")),
    "eth instead of d-stroke": Case({"a.md": fm(title="Ðại hội")}, None, contains("<h1>Đại hội</h1>")),
    "huge article": Case({"a.md": fm(body=("Đoạn văn dài của công đoàn. " * 40 + "\n\n") * 300)}, None,
                         contains("Đoạn văn dài")),
    "article too large": Case({"a.md": fm(body="x" * (21 * 1024 * 1024))}, r"content/a\.md: file: is larger than 20 MB"),
    "ten thousand topics": Case({"a.md": fm(topics="[" + ", ".join(f"t{i}" for i in range(10_000)) + "]")},
                                r"content/a\.md: topics: 10000 topics; at most 50 are allowed"),
    # --- template injection and XSS
    "jinja syntax in content": Case({"a.md": fm(title='"{{ 7*7 }} {% raw %}"', body="{{ config }} {{ 7*7 }} {%- if x %}")},
                                    None, contains("{{ 7*7 }} {% raw %}")),
    "xss in title": Case({"a.md": fm(title=f'"{XSS}"')}, None, contains("&lt;script&gt;alert(1)&lt;/script&gt;")),
    "xss in author": Case({"a.md": fm(author=f'"{XSS}"')}, None, contains("&lt;script&gt;")),
    "xss in topic": Case({"a.md": fm(topics=f'["{XSS}", "<img src=x onerror=alert(1)>"]')}, None, no_script),
    "xss in summary": Case({"a.md": fm(summary=f'"{XSS}\\" onmouseover=\\"alert(1)"')}, None, no_script),
    "xss in image alt": Case({"a.md": fm(image="anh.png", image_alt='"\\" onerror=\\"alert(1)"'),
                              "anh.png": b"PNG"}, r"content/anh\.png: image: cannot be read as an image"),
    "xss in body image alt": Case({"a.md": fm(body='![x" onerror="alert(1)](anh.svg)'),
                                   "anh.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'},
                                  None, no_script),
    "javascript link": Case({"a.md": fm(body="[bấm](javascript:alert(1)) [b](JaVaScRiPt:alert(1))")}, None, no_script),
    "entity-encoded javascript link": Case({"a.md": fm(body='<a href="&#106;avascript:alert(1)">x</a> '
                                                          '<a href="java&#x09;script:alert(1)">y</a> '
                                                          '[z](&#x6a;avascript:alert(1))')}, None, no_script),
    "data and vbscript links": Case({"a.md": fm(body="[d](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox(1))")},
                                    None, no_script),
    "raw html script and handlers": Case({"a.md": fm(body=f'{XSS}\n\n<img src=x onerror=alert(1)>\n\n'
                                                        '<svg onload=alert(1)><script>alert(2)</script></svg>\n\n'
                                                        '<iframe src="https://evil.example"></iframe>\n\n'
                                                        '<a href="#" onclick="alert(1)">x</a><style>*{display:none}</style>'
                                                        '<form action="https://evil.example"><input></form>')},
                                         None, no_script),
    "script end tag in title for json-ld": Case({"a.md": fm(title='"</script><script>alert(1)</script><!--"')},
                                                None, no_script),
    "html comment tricks": Case({"a.md": fm(body="<!-- <script>alert(1)</script> --> <!--> <![CDATA[x]]>")},
                                None, no_script),
    # --- files and links
    "symlink outside content": Case({"a.md": fm()}, r"content/secret\.txt: file: is a link to a file outside content/",
                                    setup=lambda root: os.symlink("/etc/passwd", root / "content/secret.txt")),
    "symlinked folder outside content": Case({"a.md": fm()}, r"content/etc: file: is a link to a folder outside content/",
                                             setup=lambda root: os.symlink("/etc", root / "content/etc")),
    "missing image": Case({"a.md": fm(body="![Ảnh](khong-co.jpg)")}, r'content/a\.md: body: image not found: "khong-co\.jpg"'),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name, tmp_path, capsys):
    case = CASES[name]
    site = SiteMaker(tmp_path / "site", capsys)
    site.write("content/ok.md", article(title="Bài có sẵn", date="2019-11-01"))
    assert site.build().code == 0
    before = {p.relative_to(site.output).as_posix(): p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    for rel, data in case.files.items():
        site.write(f"content/{rel}", data)
    if case.setup:
        case.setup(site.root)
    result = site.build()
    assert "Traceback" not in result.err
    if case.error is None:
        assert result.code == 0, result.err
        case.check(site.output)
    else:
        assert result.code == 1, result.out
        assert re.match(case.error, result.lines[0]), result.lines
        after = {p.relative_to(site.output).as_posix(): p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
        assert after == before                       # the previous output, exactly as it was


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_broken_site_yaml_cases(tmp_path, capsys):
    site = SiteMaker(tmp_path / "site", capsys)
    for text, expected in [
        ("title: [", r"site\.yaml:\d+: yaml: invalid YAML"),
        (SITE_YAML + "a: &x [1]\nb: *x\n", r"site\.yaml:\d+: yaml: aliases"),
        (SITE_YAML + "title2: x\n", r'site\.yaml: title2: unknown key \(did you mean "title"\?\)'),
        ("- 1\n", r"site\.yaml: file: expected a mapping"),
    ]:
        site.write("site.yaml", text)
        result = site.build()
        assert result.code == 1 and re.match(expected, result.lines[0]), (text, result.lines)


def test_the_safety_check_can_fail():
    bad = ('<a href="&#106;avascript:alert(1)">x</a><img src=x onerror=alert(1)><script>alert(1)</script>'
           '<iframe src="//x"></iframe><form action="https://evil.example"></form>'
           '<script type="application/ld+json">{"a": "</script>')
    found = unsafe_parts(bad)
    assert "<a href=javascript:alert(1)>" in found and "<img onerror=…>" in found
    assert "<script src=None>" in found and "<iframe>" in found and "<form action=https://evil.example>" in found
    assert unsafe_parts("<p>chữ</p><script>x</script>", fragment=True) == ["<script>"]
