"""Editor commands and publishing rules: new, check, drafts, scheduled and expired articles."""
from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import frontmatter

from .conftest import search_documents
from .test_listings import titles

NOW = 1_767_225_600          # SOURCE_DATE_EPOCH: 2026-01-01T00:00:00Z = 07:00 in Hà Nội


def test_new_creates_a_filled_in_article(site):

    from sitegen.cli import main
    before = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    code = main(["new", "Đại hội Công đoàn cơ sở nhiệm kỳ 2023 – 2028", "--level", "co-so", "--root", str(site.root),
                 "--topics", "Đại hội, Thi đua", "--author", "Hải Yến", "--unit", "CĐCS Kho bạc"])
    assert code == 0
    path = site.root / "content" / f"{before:%Y}" / f"{before:%m}" / "dai-hoi-cong-doan-co-so-nhiem-ky-2023-2028.md"
    post = frontmatter.load(path)
    assert post["title"] == "Đại hội Công đoàn cơ sở nhiệm kỳ 2023 – 2028"
    assert post["level"] == "co-so" and post["topics"] == ["Đại hội", "Thi đua"]
    assert post["author"] == "Hải Yến" and post["unit"] == "CĐCS Kho bạc" and post["draft"] is True
    written = datetime.strptime(str(post["date"])[:16], "%Y-%m-%d %H:%M").replace(tzinfo=before.tzinfo)
    assert abs((written - before.replace(second=0, microsecond=0)).total_seconds()) <= 60
    text = path.read_text()
    # it builds (as a draft), and a second `new` with the same title refuses to overwrite it
    assert site.build("--drafts").code == 0
    assert main(["new", "Đại hội Công đoàn cơ sở nhiệm kỳ 2023 – 2028", "--level", "co-so",
                 "--root", str(site.root)]) == 1
    assert path.read_text() == text


def test_new_refuses_unknown_level(site, capsys):
    from sitegen.cli import main
    assert main(["new", "Tiêu đề", "--level", "xa", "--root", str(site.root)]) == 1
    assert "unknown level \"xa\"; expected one of: trung-uong, tinh, cap-tren-co-so, co-so" in capsys.readouterr().err
    assert not list((site.root / "content").rglob("*.md"))


def test_check_validates_without_writing(site):
    site.add("a.md", body="Xem [bài khác](khong-co.md) và ![](anh.png), <http://a.vn[>")
    site.write("content/anh.png", _png())
    result = site.build_cmd("check")
    assert result.code == 0
    assert 'content/a.md: body: link to a missing page or file: "khong-co.md"' in result.err
    assert 'content/a.md: body: not a valid web address: "http://a.vn["' in result.err
    assert 'content/a.md: body: image "/anh.png" has no alternative text' in result.err
    assert result.out.splitlines()[-1].startswith("checked 1 articles")
    assert not site.output.exists()
    assert site.build_cmd("check", "--strict").code == 1
    site.add("b.md", date='"31/02/2020"')
    result = site.build_cmd("check")
    assert result.code == 1
    assert "content/b.md: date: expected a date like 2019-12-25 or 25/12/2019, got \"31/02/2020\"" in result.err
    assert not site.output.exists()


def test_check_catches_missing_images_and_template_errors(site):
    site.add("a.md", body="![Ảnh](khong-co.jpg)")
    result = site.build_cmd("check")
    assert result.code == 1 and 'content/a.md: body: image not found: "khong-co.jpg"' in result.err
    site.add("a.md")
    site.write("templates/home.html", "{% extends 'base.html' %}{% block main %}{{ khong_co }}{% endblock %}")
    result = site.build_cmd("check")
    assert result.code == 1 and result.lines[0].startswith("templates/home.html:1: template: UndefinedError")


def test_scheduled_articles_wait_for_their_time(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW))
    site.add("a.md", title="Đã đăng", date='"2025-12-31 08:00"')
    site.add("b.md", title="Hẹn giờ sớm", date='"2026-01-01 08:00"')        # one hour after the build
    site.add("c.md", title="Hẹn giờ muộn", date='"2026-03-01"')
    site.add("d.md", title="Vừa đến giờ", date='"2026-01-01 07:00"')
    result = site.build()
    assert result.code == 0
    assert titles(site.page("")) == ["Vừa đến giờ", "Đã đăng"]
    assert not (site.output / "2026/01/hen-gio-som").exists() and "Hẹn giờ" not in (site.output / "feed.xml").read_text()
    assert "held back: 2 scheduled (next: Thứ Năm, 01/01/2026 - 08:00 (GMT+7))" in result.out
    preview = site.build("--future")
    assert preview.code == 0 and titles(site.page("")) == ["Hẹn giờ muộn", "Hẹn giờ sớm", "Vừa đến giờ", "Đã đăng"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW + 3600))                 # the 30-minute rebuild, an hour later
    assert site.build().code == 0
    assert titles(site.page("")) == ["Hẹn giờ sớm", "Vừa đến giờ", "Đã đăng"]


def test_drafts(site):
    site.add("a.md", title="Bản nháp", draft="true")
    site.add("b.md", title="Đã xong")
    result = site.build()
    assert "held back: 1 draft(s)" in result.out and titles(site.page("")) == ["Đã xong"]
    assert site.build("--drafts").code == 0 and "Bản nháp" in titles(site.page(""))


def test_expired_articles_are_archived(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW))
    site.add("a.md", title="Thông báo cũ", date='"2025-11-01"', expires='"2025-12-01"', topics='["Thông báo"]')
    site.add("b.md", title="Thông báo còn hạn", date='"2025-11-02"', expires='"2026-02-01"', topics='["Thông báo"]')
    result = site.build()
    assert result.code == 0 and "1 expired (archived)" in result.out
    page = site.page("2025/11/thong-bao-cu/")                                 # the page itself stays
    assert "Bài viết đã được lưu trữ." in page and "Thứ Hai, 01/12/2025" in page
    assert set(search_documents(site.root)) == {"/2025/11/thong-bao-con-han/"}   # not in search
    assert titles(site.page("")) == ["Thông báo còn hạn"]                    # not in listings
    assert titles(site.page("chu-de/thong-bao/")) == ["Thông báo còn hạn"]
    assert titles(site.page("2025/11/")) == ["Thông báo còn hạn"]
    assert "thong-bao-cu" not in (site.output / "feed.xml").read_text()       # not in feeds
    assert "thong-bao-cu" not in (site.output / "sitemap.xml").read_text()    # not in the sitemap
    assert "thong-bao-cu" not in site.page("2025/11/thong-bao-con-han/")      # not related, not previous


def test_expires_must_follow_date(site):
    site.add("a.md", date='"2025-11-01"', expires='"2025-10-01"')
    result = site.build()
    assert result.code == 1
    assert result.lines == ["content/a.md: expires: is not after date (2025-10-01 <= 2025-11-01)"]


def _png() -> bytes:
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def test_pre_commit_hook_definition():
    from .conftest import REPO
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"entry: python build\.py check", text)


def test_git_pre_commit_hook_blocks_broken_articles(tmp_path):
    import shutil
    import subprocess

    from .conftest import REPO, SITE_YAML, article
    repo = tmp_path / "portal"
    for name in ("templates", "assets", "sitegen", "scripts"):
        shutil.copytree(REPO / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "build.py", repo / "build.py")
    (repo / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (repo / "content").mkdir()
    (repo / "content/a.md").write_text(article(), encoding="utf-8")
    git = ["git", "-c", "user.name=Biên tập", "-c", "user.email=bt@example.org"]
    # This copy has no .venv/: the hook runs the python3 on PATH, here the tests' own (as in an
    # editor's shell with the environment activated), which has the packages installed.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".git/hooks/pre-commit").symlink_to("../../scripts/pre-commit")
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    ok = subprocess.run([*git, "commit", "-qm", "bài đầu"], cwd=repo, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    (repo / "content/b.md").write_text(article(title="Bài lỗi", date='"hôm qua"'), encoding="utf-8")
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    refused = subprocess.run([*git, "commit", "-qm", "bài lỗi"], cwd=repo, capture_output=True, text=True, env=env)
    assert refused.returncode != 0
    assert 'content/b.md: date: expected a date like 2019-12-25 or 25/12/2019, got "hôm qua"' in refused.stderr
    assert "Commit dừng lại" in refused.stderr
