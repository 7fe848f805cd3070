"""The web editor: its config.yml made from site.yaml, its article format equal to the generator's
canonical style (run in Node, as the page runs it), `fmt`, and what the build does without npm."""
from __future__ import annotations

import shutil
import signal
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.admin import LocalBackend, content_security_policy, decap_config
from sitegen.articlefile import ArticleFields, article_text
from sitegen.config import load_config
from sitegen.dates import Moment
from sitegen.text import slugify

from . import nodeharness
from .conftest import REPO, SITE_YAML

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
needs_node = pytest.mark.skipif(not nodeharness.node_available(),
                                reason="needs Node.js and npm ci (bash scripts/install.sh --test installs both)")
ADMIN = """
admin:
  backend: gitlab
  repo: ldld/ban-tin
  base_url: https://git.congdoan.example.vn
  app_id: "abc123"
"""


def with_npm(site) -> None:
    """The site's node_modules: the repository's (installed by npm ci)."""
    (site.root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)


@pytest.mark.skipif(not (REPO / "node_modules" / "decap-cms").is_dir(), reason="needs npm ci")
def test_the_editor_and_its_config_come_from_site_yaml(site):
    site.write("site.yaml", SITE_YAML + ADMIN)
    with_npm(site)
    site.add("2019/12/a.md", unit="CĐCS Cục Thuế", author="Hải Yến", topics="[Thi đua, Nữ công]")
    result = site.build("--no-search", "--strict")
    assert result.code == 0, result.err
    admin = site.output / "admin"
    assert (admin / "decap-cms.js").is_file() and list(admin.glob("*.wasm")) and (admin / "js-yaml.min.js").is_file()
    assert len(list(admin.glob("*.decap-cms.js"))) > 50 and not list(admin.glob("*.map"))
    config = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"] == {**config["backend"], "name": "gitlab", "repo": "ldld/ban-tin", "branch": "main",
                                 "base_url": "https://git.congdoan.example.vn", "auth_type": "pkce",
                                 "api_root": "https://git.congdoan.example.vn/api/v4", "app_id": "abc123"}
    assert config["publish_mode"] == "editorial_workflow" and "local_backend" not in config
    assert config["locale"] == "vi"
    articles, = config["collections"]
    assert articles["folder"] == "content" and articles["format"] == "portal-frontmatter"
    assert articles["path"] == "{{portal_year}}/{{portal_month}}/{{slug}}"
    fields = {f["name"]: f for f in articles["fields"]}
    assert list(fields) == ["title", "date", "level", "author", "unit", "topics", "summary", "image", "image_alt",
                            "image_caption", "slug", "updated", "expires", "source", "aliases", "draft", "body"]
    assert fields["level"]["options"] == [{"label": "Trung ương", "value": "trung-uong"},
                                          {"label": "Cấp tỉnh", "value": "tinh"},
                                          {"label": "Cấp trên cơ sở", "value": "cap-tren-co-so"},
                                          {"label": "Cơ sở", "value": "co-so"}]
    assert fields["unit"]["suggestions"] == ["CĐCS Cục Thuế"] and fields["author"]["suggestions"] == ["Hải Yến"]
    assert set(fields["topics"]["suggestions"]) == {"Thi đua", "Nữ công"}
    assert fields["date"]["format"] == "YYYY-MM-DD HH:mm" and fields["date"]["picker_utc"] is False
    assert fields["body"]["modes"][0] == "raw"
    page = (admin / "index.html").read_text(encoding="utf-8")
    assert "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'" in page.replace("&#39;", "'")
    assert "connect-src 'self' blob: https://git.congdoan.example.vn;" in page.replace("&#39;", "'")
    assert "https://unpkg.com" not in page and "cdn" not in page.lower()
    site.write("site.yaml", SITE_YAML.replace("Cấp tỉnh", "Cấp tỉnh, thành phố") + ADMIN)
    assert site.build("--no-search").code == 0
    config = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    assert {"label": "Cấp tỉnh, thành phố", "value": "tinh"} in config["collections"][0]["fields"][2]["options"]


def test_without_the_npm_packages_the_site_is_built_and_says_the_editor_was_left_out(site):
    site.write("site.yaml", SITE_YAML + ADMIN)
    site.add("2019/12/a.md")
    result = site.build("--no-search")
    assert result.code == 0
    assert "site.yaml: admin: the web editor (/admin/) was left out: its npm packages are not installed" in result.err
    assert not (site.output / "admin").exists() and (site.output / "index.html").is_file()


def test_no_admin_block_no_editor(site):
    with_npm(site)
    site.add("2019/12/a.md")
    assert site.build("--no-search").code == 0
    assert not (site.output / "admin").exists()


@pytest.mark.parametrize("block, message", [
    ("admin:\n  backend: svn\n  repo: a/b\n", 'admin.backend: unknown backend "svn"'),
    ("admin:\n  backend: gitlab\n  repo: a/b\n", "admin.app_id: is required with backend gitlab"),
    ("admin:\n  backend: gitea\n  repo: a/b\n  app_id: x\n", "admin.base_url: is required with backend gitea"),
    ("admin:\n  backend: gitea\n  repo: a/b\n  app_id: x\n  base_url: https://g.vn\n",
     "admin.review: Decap CMS has no review workflow with gitea"),
    ("admin:\n  backend: github\n  repo: a/b\n", "admin.base_url: is required with backend github: the address of "
                                               "the OAuth proxy"),
    ("admin:\n  backend: gitlab\n  repo: khong-co-chu\n  app_id: x\n", 'admin.repo: expected "owner/name"'),
    ("admin:\n  backend: gitlab\n  repo: a/b\n  app_id: x\n  mau: do\n", "admin.mau: unknown key"),
    ("admin: [gitlab]\n", "admin: expected a mapping"),
])
def test_admin_settings_are_checked(site, block, message):
    site.write("site.yaml", SITE_YAML + block)
    result = site.build("--no-search")
    assert result.code == 1 and f"site.yaml: {message}" in result.err


def test_each_backend_gets_what_decap_needs(site):
    blocks = {
        "gitea": "admin:\n  backend: gitea\n  repo: a/b\n  app_id: x\n  base_url: https://gitea.vn\n  review: false\n",
        "forgejo": "admin:\n  backend: forgejo\n  repo: a/b\n  app_id: x\n  base_url: https://codeberg.org\n",
        "github": "admin:\n  backend: github\n  repo: a/b\n  base_url: https://oauth.congdoan.vn\n",
    }
    for name, block in blocks.items():
        site.write("site.yaml", SITE_YAML + block)
        config, problems = load_config(site.root)
        assert config is not None, problems
        data = decap_config(config, [], [], [])
        backend = data["backend"]
        if name == "github":
            assert backend["base_url"] == "https://oauth.congdoan.vn" and backend["auth_endpoint"] == "auth"
            assert "https://api.github.com" in content_security_policy(config.admin)
        else:
            assert backend["api_root"] == backend["base_url"] + "/api/v1" and backend["app_id"] == "x"
        assert ("publish_mode" in data) == (name != "gitea")
        local = decap_config(config, [], [], [], LocalBackend(8081, "trunk"))
        assert local["local_backend"]["url"] == "http://127.0.0.1:8081/api/v1"
        assert local["backend"]["branch"] == "trunk" and "publish_mode" not in local


# --- the article format: the page's writer is the generator's -----------------------------------

@needs_node
def test_sample_articles_read_and_write_back_byte_for_byte():
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "content").rglob("*.md"))]
    assert nodeharness.run([{"op": "roundtrip", "text": t} for t in texts]) == texts


@needs_node
def test_an_edit_in_the_editor_changes_only_its_line():
    path = next(iter(sorted((REPO / "content").rglob("*.md"))))
    text = path.read_text(encoding="utf-8")
    edited, = nodeharness.run([{"op": "edit", "text": text, "set": {"summary": "Tóm tắt \"mới\"."}}])
    old, new = text.splitlines(), edited.splitlines()
    assert len(new) == len(old) + 1 and [line for line in new if line not in old] == ['summary: "Tóm tắt \\"mới\\"."']


TEXT = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạềếệọụĐƯ AZ09\"'\\:#-[]{},&*!|>%@`😀\t")),
               min_size=1, max_size=40).map(str.strip).filter(bool)
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=TZ))


@st.composite
def fields(draw) -> ArticleFields:
    date = draw(MOMENTS)
    optional = lambda strategy: draw(st.one_of(st.just(""), strategy))  # noqa: E731
    return ArticleFields(
        title=draw(TEXT), date=date, has_time=draw(st.booleans()), level=draw(st.sampled_from(["tinh", "co-so"])),
        authors=tuple(dict.fromkeys(draw(st.lists(TEXT, max_size=3)))), unit=optional(TEXT),
        topics=tuple(dict.fromkeys(draw(st.lists(TEXT, max_size=4)))), summary=optional(TEXT), image=optional(TEXT),
        image_alt=optional(TEXT), image_caption=optional(TEXT), slug=optional(TEXT.map(slugify)),
        source=optional(TEXT), aliases=tuple("/" + slugify(a) + "/" for a in draw(st.lists(TEXT, max_size=2))),
        draft=draw(st.booleans()),
        updated=draw(st.one_of(st.none(), MOMENTS.map(lambda d: Moment(d, True)))),
        expires=draw(st.one_of(st.none(), MOMENTS.map(lambda d: Moment(d, False)))),
        extra=draw(st.one_of(st.just({}), st.dictionaries(st.sampled_from(["ghi_chu", "nguoi_duyet"]),
                                                           st.one_of(TEXT, st.integers(0, 99)), max_size=2))))


@needs_node
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(fields(), min_size=10, max_size=10), st.lists(TEXT, min_size=10, max_size=10))
def test_any_article_the_generator_writes_the_editor_writes_back_the_same(articles, bodies):
    texts = [article_text(a, b, TZ) for a, b in zip(articles, bodies)]
    assert nodeharness.run([{"op": "roundtrip", "text": t} for t in texts]) == texts


@needs_node
@settings(max_examples=20, deadline=None)
@given(st.lists(st.one_of(TEXT, st.text(max_size=120)), min_size=20, max_size=20))
def test_the_editor_makes_slugs_as_the_generator_does(titles):
    assert nodeharness.run([{"op": "slug", "text": t} for t in titles]) == [slugify(t) for t in titles]


@needs_node
def test_long_and_letterless_titles_slug_alike():
    titles = ["Liên đoàn Lao động tỉnh: Tổng kết hoạt động Công đoàn năm 2019 và triển khai nhiệm vụ năm 2020 " * 2,
              "漢字だけ", "🙂", "Ðại hội (Ð cũ)", "a" * 200]
    assert nodeharness.run([{"op": "slug", "text": t} for t in titles]) == [slugify(t) for t in titles]


# --- fmt --------------------------------------------------------------------------------------------

def test_fmt_writes_the_canonical_style_once_and_keeps_every_value(site):
    site.write("content/2019/12/a.md", "---\n# nhập tay\nauthor: [Hải Yến, Hải Yến, M.Linh]\ntitle: 'Hội  nghị: tổng kết'\n"
                                       "topics:\n  - Thi đua\n  - Nữ công\nghi_chu: giữ lại\nlevel: tinh\n"
                                       "date: 2019-12-25T19:10:00+01:00\ndraft: false\n---\r\nNội dung.\r\n\r\n\r\n")
    site.write("content/2019/12/b.md", "---\ntitle: Lỗi\ndate: hôm qua\nlevel: tinh\n---\nx\n")
    before = site.build_cmd("check")
    checked = site.build_cmd("fmt", "--check")
    assert checked.code == 1 and "not in the canonical style: content/2019/12/a.md" in checked.out
    assert 'content/2019/12/b.md: date: expected a date' in checked.err
    result = site.build_cmd("fmt")
    assert result.code == 1 and "rewritten: content/2019/12/a.md" in result.out
    assert (site.root / "content/2019/12/a.md").read_text(encoding="utf-8") == (
        '---\ntitle: "Hội nghị: tổng kết"\ndate: 2019-12-26 01:10\nlevel: tinh\nauthor: ["Hải Yến", "M.Linh"]\n'
        'topics: ["Thi đua", "Nữ công"]\nghi_chu: "giữ lại"\n---\n\nNội dung.\n')
    assert "date: hôm qua" in (site.root / "content/2019/12/b.md").read_text(encoding="utf-8")   # left alone
    (site.root / "content/2019/12/b.md").unlink()
    assert site.build_cmd("fmt", "--check").code == 0
    assert before.code == 1


def test_fmt_changes_no_page_of_the_site(sample, tmp_path, capsys):
    from sitegen.cli import main
    for name in ("2019/12", "2020/06"):
        for path in (sample / "content" / name).glob("*.md"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("---\ntitle:", "---\n# chú thích\ntitle:", 1).replace('"', "'"),
                            encoding="utf-8")
    assert main(["build", "--root", str(sample), "--no-search", "-q", "--output", str(tmp_path / "a")]) == 0
    assert main(["fmt", "--root", str(sample)]) == 0
    assert main(["build", "--root", str(sample), "--no-search", "-q", "--output", str(tmp_path / "b")]) == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert main(["fmt", "--check", "--root", str(sample)]) == 0


def test_new_and_import_write_what_fmt_keeps(site, tmp_path):
    assert site.build_cmd("new", "Hội nghị người lao động", "--level", "co-so", "--topics", "Thi đua").code == 0
    (tmp_path / "a.txt").write_text("Tin vắn\n\nNgày 05/03/2024, công đoàn cơ sở tổ chức hội nghị.\n", encoding="utf-8")
    assert site.build_cmd("import", str(tmp_path / "a.txt"), "--level", "tinh").code == 0
    checked = site.build_cmd("fmt", "--check")
    assert checked.code == 0 and "0 article file(s) would be rewritten" in checked.out
    shutil.rmtree(site.root / "content")


def test_serve_admin_says_what_to_install_without_node(site, monkeypatch):
    import sitegen.editorserver as editorserver
    real = editorserver.shutil.which
    monkeypatch.setattr(editorserver.shutil, "which", lambda name: None if name == "node" else real(name))
    before = signal.getsignal(signal.SIGTERM)
    result = site.build_cmd("serve", "--admin", "--port", "0")
    assert result.code == 1
    assert "serve --admin: the web editor needs Node.js and npm: apt-get install nodejs npm, then npm ci" in result.err
    assert signal.getsignal(signal.SIGTERM) == before      # its SIGTERM handler does not outlive serve
