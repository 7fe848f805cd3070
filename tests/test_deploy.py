"""The server deployment, run for real: deploy/post-receive, deploy/rebuild.sh, deploy/lib.sh,
deploy/nginx.conf.

Each test makes a bare repository with the hook installed, a working repository holding a copy
of the sample portal, and pushes to it with git, exactly as an editor would; the hook builds
with this interpreter (PORTAL_PYTHON = sys.executable) into a PORTAL_ROOT under tmp_path. When
nginx is installed, one test serves that PORTAL_ROOT with deploy/nginx.conf in an nginx of its
own, on a free port of 127.0.0.1.
"""
from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SITE_PARTS = ("site.yaml", "content", "templates", "assets", "build.py", "sitegen")
HEADER = "*** Xây dựng thất bại / build failed: the site was NOT updated ***"
BROKEN_ARTICLE = "content/2021/06/bai-loi.md"
BROKEN_LINE = f'{BROKEN_ARTICLE}: date: expected a date like 2019-12-25 or 25/12/2019, got "hôm qua"'
ARTICLE_PAGE = re.compile(r"^\d{4}/\d{2}/(?!trang/)[^/]+/index\.html$")
AUTHOR = {"GIT_AUTHOR_NAME": "Ban Biên tập", "GIT_AUTHOR_EMAIL": "bbt@example.vn",
          "GIT_COMMITTER_NAME": "Ban Biên tập", "GIT_COMMITTER_EMAIL": "bbt@example.vn",
          "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+07:00", "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+07:00"}


def article(title: str, date: str) -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\nlevel: tinh\nauthor: Văn Huỳnh\n---\n\nNội dung bài viết.\n'


class Portal:
    """A bare repository with the hook, a working repository with the sample site, a PORTAL_ROOT."""

    def __init__(self, tmp: Path, *, hook_files: tuple[str, ...] = ("post-receive",),
                 commit_deploy: bool = True, **settings: str):
        self.tmp = tmp
        self.root = tmp / "portal"
        self.bare = tmp / "portal.git"
        self.work = tmp / "work"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PORTAL_", "GIT_")) and k != "SOURCE_DATE_EPOCH"}
        env.update(AUTHOR, HOME=str(tmp), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C.UTF-8",
                   PORTAL_ROOT=str(self.root), PORTAL_PYTHON=sys.executable,
                   PORTAL_CONFIG=str(tmp / "no-such-portal.env"))
        env.update(settings)
        self.env = env

        self.git(tmp, "init", "-q", "--bare", "--initial-branch=main", str(self.bare))
        for name in hook_files:
            shutil.copy2(DEPLOY / name, self.bare / "hooks" / name)
        (self.bare / "hooks" / "post-receive").chmod(0o755)

        self.work.mkdir()
        for part in SITE_PARTS + (("deploy",) if commit_deploy else ()):
            src = REPO / part
            if src.is_dir():
                shutil.copytree(src, self.work / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(src, self.work / part)
        self.git(self.work, "init", "-q", "--initial-branch=main")
        self.git(self.work, "remote", "add", "origin", str(self.bare))
        self.commit("Bản tin mẫu")

    def git(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["git", "-c", "user.name=Ban Biên tập", "-c", "user.email=bbt@example.vn", *args],
                              cwd=cwd, env=self.env, capture_output=True, text=True)
        if check and done.returncode:
            raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def write(self, rel: str, text: str) -> None:
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git(self.work, "add", "-A")
        self.git(self.work, "commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git(self.work, "rev-parse", "HEAD").stdout.strip()

    def push(self, *refspec: str) -> subprocess.CompletedProcess:
        """git push; the hook inherits self.env, and its output is on stderr as "remote: ..."."""
        return subprocess.run(["git", "push", "origin", *(refspec or ("main",))], cwd=self.work, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def run(self, script: Path | str, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(script), *args], env={**self.env, **env}, capture_output=True,
                              text=True, timeout=120)

    @property
    def current(self) -> Path:
        return self.root / "current"

    def live_release(self) -> Path:
        """The release folder `current` points into."""
        return self.current.resolve().parent

    def releases(self) -> list[str]:
        return sorted(p.name for p in (self.root / "releases").iterdir())


def remote_lines(stderr: str) -> list[str]:
    """What the hook printed, without git's "remote: " prefix."""
    return [line.removeprefix("remote:").strip() for line in stderr.splitlines() if line.startswith("remote:")]


def article_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html")
                  if ARTICLE_PAGE.match(p.relative_to(site).as_posix()))


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_push_publishes_a_failed_push_changes_nothing_and_old_releases_go(tmp_path):
    """The hook copied alone into hooks/ takes lib.sh from the pushed commit; search is built."""
    portal = Portal(tmp_path, PORTAL_KEEP="2")
    articles = sorted((portal.work / "content").rglob("*.md"))
    assert len(articles) == 5

    pushed = portal.push()
    assert pushed.returncode == 0, pushed.stderr
    out = remote_lines(pushed.stderr)
    assert any(line.startswith("Trang đã được cập nhật / site updated:") for line in out), pushed.stderr
    assert portal.current.is_symlink()
    assert not os.path.isabs(os.readlink(portal.current))  # relative: PORTAL_ROOT may be moved
    site = portal.current.resolve()
    assert site.name == "site" and (site / "index.html").is_file() and (site / "404.html").is_file()
    assert len(article_pages(site)) == 5, article_pages(site)
    assert (site / "pagefind" / "pagefind-entry.json").is_file()  # built with search
    first = portal.live_release()
    assert (first / "REVISION").read_text().strip() == portal.head()
    assert re.fullmatch(r"\d{8}T\d{6}Z-" + portal.head()[:7], first.name)
    assert (first / "src" / "build.py").is_file() and not list((first / "src").rglob("__pycache__"))
    before = snapshot(site)
    link_before = os.readlink(portal.current)

    # A broken article: the push is accepted, the build fails, the site stays as it was.
    portal.write(BROKEN_ARTICLE, article("Bài viết lỗi", "hôm qua"))
    broken = portal.commit("Bài lỗi")
    failed = portal.push()
    out = remote_lines(failed.stderr)
    assert HEADER in out, failed.stderr
    assert BROKEN_LINE in out, failed.stderr
    assert any("push itself was accepted" in line for line in out), failed.stderr
    assert out.index(HEADER) < out.index(BROKEN_LINE)
    assert portal.git(portal.bare, "rev-parse", "main").stdout.strip() == broken  # the push went in
    assert os.readlink(portal.current) == link_before
    assert snapshot(portal.current.resolve()) == before
    assert portal.releases() == [first.name]  # the failed release was removed
    assert BROKEN_LINE in (portal.root / "last-failure.log").read_text(encoding="utf-8")

    # Fixed, then one more article: two more releases, only PORTAL_KEEP=2 remain.
    portal.write(BROKEN_ARTICLE, article("Bài viết đã sửa", "25/06/2021"))
    portal.commit("Sửa ngày")
    fixed = portal.push()
    assert fixed.returncode == 0 and HEADER not in remote_lines(fixed.stderr), fixed.stderr
    assert len(article_pages(portal.current.resolve())) == 6
    # every release's build.py cache is the one beside the folder all builds update
    assert os.readlink(portal.live_release() / "src" / ".cache") == "../../../build/cache"
    assert (portal.live_release() / "src" / ".cache").resolve() == portal.root / "build" / "cache"
    portal.write("content/2021/06/bai-moi.md", article("Bài viết mới", "26/06/2021"))
    newest = portal.commit("Bài mới")
    again = portal.push()
    assert again.returncode == 0 and HEADER not in remote_lines(again.stderr), again.stderr

    releases = portal.releases()
    assert len(releases) == 2 and first.name not in releases
    assert portal.live_release().name == releases[-1]
    assert (portal.live_release() / "REVISION").read_text().strip() == newest
    assert len(article_pages(portal.current.resolve())) == 7


def test_a_push_redoes_only_what_it_changed_and_releases_stay_as_they_were_built(tmp_path):
    """Every build updates build/site with its cache in build/cache; a release gets hard links to
    the result. After a rollback, a push still gives exactly what a build from nothing gives: the
    cache describes build/site, not the live release."""
    portal = Portal(tmp_path, SOURCE_DATE_EPOCH="1735689600")
    assert portal.push().returncode == 0
    first = portal.live_release()
    first_site = snapshot(first / "site")
    rel = sorted(p.relative_to(portal.work).as_posix() for p in (portal.work / "content").rglob("*.md"))[0]
    original = (portal.work / rel).read_text(encoding="utf-8")

    portal.write(rel, original + "\nMột đoạn viết thêm.\n")
    portal.commit("Sửa bài")
    edited = portal.push()
    assert edited.returncode == 0 and HEADER not in remote_lines(edited.stderr), edited.stderr
    summary = next(line for line in remote_lines(edited.stderr) if line.startswith("built "))
    pages, rendered, unchanged, files, written = map(int, re.search(
        r"(\d+) pages \((\d+) rendered, (\d+) unchanged\), (\d+) files \((\d+) written", summary).groups())
    # a build from nothing renders and writes everything
    assert 0 < rendered < pages and unchanged > 0 and 0 < written < files / 2, summary
    second = portal.live_release()
    second_site = snapshot(second / "site")
    assert second_site != first_site
    assert snapshot(first / "site") == first_site  # the build did not touch the live release's files
    # Every file the push did not change (pages, assets, photos, the search index's files) is
    # the same file in both releases, a hard link, not a copy.
    same = [name for name in first_site if second_site.get(name) == first_site[name]]
    assert len([name for name in same if name.endswith(".html")]) >= unchanged
    assert any(name.startswith("assets/") for name in same) and any(name.endswith(".svg") for name in same)
    for name in same:
        assert (first / "site" / name).stat().st_ino == (second / "site" / name).stat().st_ino, name

    # Roll back to the first release (deploy/README.md), then push the article as it was.
    tmp_link = portal.root / "current.tmp"
    os.symlink(f"releases/{first.name}/site", tmp_link)
    os.replace(tmp_link, portal.current)
    portal.write(rel, original)
    portal.commit("Trả lại bài")
    restored = portal.push()
    assert restored.returncode == 0 and HEADER not in remote_lines(restored.stderr), restored.stderr
    third = portal.live_release()
    assert third not in (first, second)
    assert snapshot(third / "site") == first_site
    assert snapshot(second / "site") == second_site


def test_hook_with_lib_beside_it_settings_file_no_search_base_url_and_other_branches(tmp_path):
    """hooks/post-receive + hooks/lib.sh, a commit without deploy/; settings from a file."""
    config = tmp_path / "portal.env"
    config.write_text('# Cài đặt\nPORTAL_BUILD_ARGS="--no-search -q"\nPORTAL_BASE_URL=https://example.org/portal/\n'
                      "PORTAL_BRANCH=main\nPORTAL_KEPP=3\n", encoding="utf-8")
    portal = Portal(tmp_path, hook_files=("post-receive", "lib.sh"), commit_deploy=False,
                    PORTAL_CONFIG=str(config))
    side = portal.push("main:refs/heads/nhap")  # another branch: stored, not published
    assert side.returncode == 0
    assert any("only main is published" in line for line in remote_lines(side.stderr)), side.stderr
    assert not portal.current.exists()

    pushed = portal.push()
    assert pushed.returncode == 0 and HEADER not in remote_lines(pushed.stderr), pushed.stderr
    assert sum("unknown setting PORTAL_KEPP" in line for line in remote_lines(pushed.stderr)) == 1
    site = portal.current.resolve()
    assert len(article_pages(site)) == 5
    assert not (site / "pagefind").exists()  # --no-search
    assert 'href="/portal/' in (site / "index.html").read_text(encoding="utf-8")
    assert not (portal.live_release() / "src" / "deploy").exists()


def test_hook_alone_without_lib_in_commit_says_what_to_do(tmp_path):
    portal = Portal(tmp_path, commit_deploy=False)
    pushed = portal.push()
    out = remote_lines(pushed.stderr)
    assert HEADER in out, pushed.stderr
    assert any("has no deploy/lib.sh" in line for line in out)
    assert not portal.current.exists() and not (portal.root / "releases").exists()


def test_rebuild_makes_a_new_release_of_the_live_revision_only_when_the_site_changed(tmp_path):
    # The first build pretends to run at the start of 2022 (the footer shows the build's year);
    # rebuilding now gives another site, as when a scheduled article's time has come.
    portal = Portal(tmp_path, SOURCE_DATE_EPOCH="1641013200")
    no_current = portal.run(DEPLOY / "rebuild.sh")
    assert no_current.returncode == 1 and "push the site once first" in no_current.stderr

    assert portal.push().returncode == 0
    first = portal.live_release()
    assert "© 2022" in (first / "site" / "index.html").read_text(encoding="utf-8")
    # What systemd runs: the rebuild.sh of the live release, reached through `current`.
    rebuild = portal.root / "current" / ".." / "src" / "deploy" / "rebuild.sh"

    same = portal.run(rebuild)
    assert same.returncode == 0, same.stderr
    assert "nothing changed" in same.stdout
    assert portal.releases() == [first.name] and portal.live_release() == first

    env = {k: v for k, v in portal.env.items() if k != "SOURCE_DATE_EPOCH"}
    changed = subprocess.run(["bash", str(rebuild)], env=env, capture_output=True, text=True, timeout=120)
    assert changed.returncode == 0, changed.stderr
    assert "site rebuilt" in changed.stdout
    second = portal.live_release()
    assert second != first and portal.releases() == [first.name, second.name]
    assert (second / "REVISION").read_text() == (first / "REVISION").read_text()
    # the same commit, as it was checked out; .cache is the link to the one cache of all builds
    source_only = lambda release: {p.relative_to(release / "src").as_posix(): p.read_bytes()  # noqa: E731
                                   for p in (release / "src").rglob("*") if ".cache" not in p.parts and p.is_file()}
    assert source_only(second) == source_only(first) != {}
    assert (second / "src" / ".cache").resolve() == (first / "src" / ".cache").resolve() == portal.root / "build/cache"
    # one build cache for the one output folder, however many releases were built
    assert [p.name for p in (portal.root / "build" / "cache").glob("build-*.pickle")] != []
    assert len(list((portal.root / "build" / "cache").glob("build-*.pickle"))) == 1
    assert "© 2022" not in (second / "site" / "index.html").read_text(encoding="utf-8")
    assert (second / "site" / "pagefind" / "pagefind-entry.json").is_file()

    forced = portal.run(DEPLOY / "rebuild.sh", "--force", PORTAL_KEEP="2")
    assert forced.returncode == 0, forced.stderr
    third = portal.live_release()
    assert third not in (first, second) and portal.releases() == [second.name, third.name]

    # A rebuild that fails (here: the live release's sources were damaged) changes nothing.
    (third / "src" / "site.yaml").write_text("title: [\n", encoding="utf-8")
    broken = portal.run(rebuild, "--force")
    assert broken.returncode == 1
    assert HEADER in broken.stderr and "site.yaml" in broken.stderr
    assert portal.live_release() == third and portal.releases() == [second.name, third.name]


def test_pushes_wait_for_the_lock(tmp_path):
    portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search")
    portal.root.mkdir()
    with open(portal.root / ".deploy.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        push = subprocess.Popen(["git", "push", "origin", "main"], cwd=portal.work, env=portal.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (portal.root / "releases").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the hook makes releases/ just before it asks for the lock
        time.sleep(1)
        assert push.poll() is None and not portal.current.exists()
        assert not list((portal.root / "releases").iterdir())
        fcntl.flock(lock, fcntl.LOCK_UN)
        _, err = push.communicate(timeout=60)
    assert push.returncode == 0
    assert any("another build is running" in line for line in remote_lines(err)), err
    assert (portal.current / "index.html").is_file()


def test_prune_keeps_the_release_current_points_to_after_a_rollback(tmp_path):
    portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search")
    assert portal.push().returncode == 0
    portal.write("content/2021/06/bai-moi.md", article("Bài viết mới", "26/06/2021"))
    portal.commit("Bài mới")
    assert portal.push().returncode == 0
    old, new = portal.releases()

    # Roll back the way deploy/README.md says: a new link renamed over `current`.
    tmp_link = portal.root / "current.tmp"
    os.symlink(f"releases/{old}/site", tmp_link)
    os.replace(tmp_link, portal.current)
    pruned = subprocess.run(["bash", "-c", 'set -euo pipefail; . "$1"; portal_settings; portal_prune',
                             "prune", str(DEPLOY / "lib.sh")], env={**portal.env, "PORTAL_KEEP": "1"},
                            capture_output=True, text=True)
    assert pruned.returncode == 0, pruned.stderr
    assert portal.releases() == [old, new] and portal.live_release().name == old


def test_settings_file_and_environment(tmp_path):
    config = tmp_path / "portal.env"
    config.write_text("# comment\r\n\nPORTAL_KEEP=7\nexport PORTAL_BRANCH = 'release'\n"
                      'PORTAL_BUILD_ARGS="--no-search -q"\nPORTAL_BASE_URL=https://a.example/x/\n'
                      "PORTAL_RELOAD=sudo -n /usr/sbin/nginx -s reload\nPORTAL_TYPO=1\n", encoding="utf-8")
    script = ('set -euo pipefail; . "$1"; portal_settings; '
              'printf "%s|" "$PORTAL_ROOT" "$PORTAL_BRANCH" "$PORTAL_KEEP" "$PORTAL_BUILD_ARGS" "$PORTAL_BASE_URL" '
              '"$PORTAL_PYTHON" "$PORTAL_RELOAD"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_CONFIG=str(config), PORTAL_KEEP="3", PORTAL_ROOT=str(tmp_path / "srv"),
               PORTAL_PYTHON=sys.executable)
    done = subprocess.run(["bash", "-c", script, "settings", str(DEPLOY / "lib.sh")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("|")[:-1] == [str(tmp_path / "srv"), "release", "3", "--no-search -q",
                                           "https://a.example/x/", sys.executable,
                                           "sudo -n /usr/sbin/nginx -s reload"]
    assert "unknown setting PORTAL_TYPO" in done.stderr

    env["PORTAL_KEEP"] = "0"
    bad = subprocess.run(["bash", "-c", script, "settings", str(DEPLOY / "lib.sh")], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "PORTAL_KEEP must be a whole number" in bad.stderr


def test_the_hook_reads_settings_exactly_as_lib_sh_does():
    """post-receive carries its own copy of portal_read_config (it runs before lib.sh is found)."""
    def function(path: Path) -> str:
        match = re.search(r"^portal_read_config\(\) \{\n.*?^\}\n", path.read_text(encoding="utf-8"), re.S | re.M)
        assert match, path
        return match.group(0)

    assert function(DEPLOY / "post-receive") == function(DEPLOY / "lib.sh")


def test_hosted_builds_keep_build_py_cache_without_the_page_links():
    """GitHub and GitLab Pages restore build.py's cache before building, and leave out the folder
    of page links (hard links into output/ locally, plain copies in a cache archive)."""
    import yaml

    steps = yaml.safe_load((REPO / ".github/workflows/pages.yml").read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".cache", "!.cache/*.pages"]
    assert "hashFiles('content/**'" in cache["with"]["key"]
    assert steps.index(cache) < next(n for n, step in enumerate(steps) if step.get("name") == "Build")
    gitlab = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    paths = [path for entry in gitlab["pages"]["cache"] for path in entry["paths"]]
    assert ".cache/build-*.shards" in paths and ".cache/build-*.pagefind" in paths
    assert not any(path.endswith(".pages") or path.rstrip("/") == ".cache" for path in paths)
