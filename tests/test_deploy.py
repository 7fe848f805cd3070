"""The server deployment, run for real: deploy/post-receive, deploy/rebuild.sh, deploy/lib.sh,
deploy/nginx.conf.

Each test makes a bare repository with the hook installed, a working repository holding a copy
of the sample portal, and pushes to it with git, exactly as an editor would; the hook builds
with this interpreter (PORTAL_PYTHON = sys.executable) into a PORTAL_ROOT under tmp_path. When
nginx is installed, one test serves that PORTAL_ROOT with deploy/nginx.conf in an nginx of its
own, on a free port of 127.0.0.1.

The sample site has a web editor (site.yaml's admin:), whose files the build copies from the npm
packages. No test downloads them: PORTAL_ROOT/build/npm is seeded with this repository's own
node_modules (npm ci, bash scripts/install.sh --test) and the stamp of its package-lock.json, as
the hook leaves it after an install, and the tests where the hook must install use a fake npm.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from benchmarks import nginx


REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SITE_PARTS = ("site.yaml", "content", "templates", "assets", "build.py", "sitegen", "package.json",
              "package-lock.json")
NODE_MODULES = REPO / "node_modules"
NPM_CI = "ci --omit=dev --no-audit --no-fund"
NPM_MISSING = "*** Máy chủ chưa có Node.js và npm: trang biên tập web (/admin/) cần chúng, và tìm kiếm dùng Pagefind cũ hơn"
NPM_MISSING_EN = "*** The web editor (/admin/) needs Node.js and npm, and this server has no npm"
EDITOR_LEFT_OUT = "admin: the web editor (/admin/) was left out: its npm packages are not installed"
HEADER = "*** Xây dựng thất bại / build failed: the site was NOT updated ***"
BROKEN_ARTICLE = "content/2021/06/bai-loi.md"
BROKEN_LINE = f'{BROKEN_ARTICLE}: date: expected a date like 2019-12-25 or 25/12/2019, got "hôm qua"'
ARTICLE_PAGE = re.compile(r"^\d{4}/\d{2}/(?!trang/)[^/]+/index\.html$")
AUTHOR = {"GIT_AUTHOR_NAME": "Ban Biên tập", "GIT_AUTHOR_EMAIL": "bbt@example.vn",
          "GIT_COMMITTER_NAME": "Ban Biên tập", "GIT_COMMITTER_EMAIL": "bbt@example.vn",
          "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+07:00", "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+07:00"}


def article(title: str, date: str) -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\nlevel: tinh\nauthor: Văn Huỳnh\n---\n\nNội dung bài viết.\n'


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed_npm_packages(root: Path) -> None:
    """PORTAL_ROOT/build/npm as the hook leaves it after npm ci for this repository's
    package-lock.json, with this repository's node_modules (a link) as what npm installed."""
    assert (NODE_MODULES / "decap-cms" / "dist" / "decap-cms.js").is_file(), (
        "the deploy tests build the sample site, whose web editor (admin: in site.yaml) needs the npm "
        "packages: run npm ci (bash scripts/install.sh --test does)")
    npm = root / "build" / "npm"
    npm.mkdir(parents=True)
    (npm / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(REPO / name, npm / name)
    (npm / "package-lock.sha256").write_text(sha256(REPO / "package-lock.json") + "\n", encoding="utf-8")


def fake_npm(tmp: Path, status: int = 0, say: str = "") -> tuple[str, Path]:
    """A PATH whose `npm` records each call (its arguments, the SHA-256 of the package-lock.json
    and the files in the folder it runs in) and then, as npm ci would, fills node_modules there
    (with links to this repository's packages and a file saying who made it), or says `say` and
    fails with `status`. No network."""
    bin_dir = tmp / "fake-npm"
    bin_dir.mkdir()
    log = tmp / "npm.calls"
    script = ("#!/bin/sh\n"
              'lock=$(sha256sum package-lock.json | cut -d " " -f 1)\n'
              f'printf "%s|%s|%s\\n" "$*" "$lock" "$(ls | tr "\\n" " ")" >>{shlex.quote(str(log))}\n'
              + (f"printf '%s\\n' {shlex.quote(say)} >&2\n" if say else "")
              + (f"exit {status}\n" if status else "")
              + "echo 'added 2 packages in 1s'\n"
              "mkdir node_modules\n"
              f"ln -s {shlex.quote(str(NODE_MODULES / 'decap-cms'))} node_modules/decap-cms\n"
              f"ln -s {shlex.quote(str(NODE_MODULES / 'js-yaml'))} node_modules/js-yaml\n"
              "echo fake-npm >node_modules/.installed-by\n")
    (bin_dir / "npm").write_text(script, encoding="utf-8")
    (bin_dir / "npm").chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", log


def path_without_npm(tmp: Path) -> str:
    """A PATH with every command of this one but Node.js and npm: a server without them."""
    bin_dir = tmp / "no-npm"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name in ("npm", "npx", "node", "nodejs") or (bin_dir / entry.name).exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                (bin_dir / entry.name).symlink_to(entry.path)
    assert shutil.which("npm", path=str(bin_dir)) is None and shutil.which("git", path=str(bin_dir))
    return str(bin_dir)


class Portal:
    """A bare repository with the hook, a working repository with the sample site, a PORTAL_ROOT."""

    def __init__(self, tmp: Path, *, hook_files: tuple[str, ...] = ("post-receive",),
                 commit_deploy: bool = True, npm_installed: bool = True, **settings: str):
        self.tmp = tmp
        self.root = tmp / "portal"
        self.bare = tmp / "portal.git"
        self.work = tmp / "work"
        if npm_installed:
            seed_npm_packages(self.root)
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
    assert (site / "pagefind" / "shards.json").is_file()  # built with search
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
    assert (second / "site" / "pagefind" / "shards.json").is_file()

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
    portal.root.mkdir(exist_ok=True)
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


def test_hosted_builds_keep_build_py_cache():
    """GitHub and GitLab Pages restore build.py's cache before building: parsed articles, bodies,
    and the search index's documents and shards, so a run indexes only the shards that changed."""
    import yaml

    steps = yaml.safe_load((REPO / ".github/workflows/pages.yml").read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    caches = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    cache, images = caches
    assert cache["with"]["path"].split() == [".cache", "!.cache/images"]
    assert "hashFiles('content/**'" in cache["with"]["key"]
    # the photos' renditions: kept apart, keyed by the photos alone (an article edit saves nothing new)
    assert images["with"]["path"].split() == [".cache/images"]
    assert "hashFiles('content/**/*.jpg'" in images["with"]["key"] and "'content/**'" not in images["with"]["key"]
    assert images["with"]["restore-keys"] == "portal-images-"
    build = next(n for n, step in enumerate(steps) if step.get("name") == "Build")
    assert steps.index(cache) < build and steps.index(images) < build
    gitlab = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    paths = [path for entry in gitlab["pages"]["cache"] for path in entry["paths"]]
    assert ".cache/build-*.shards" in paths and ".cache/build-*.search" in paths and ".cache/images" in paths
    assert not any(path.endswith(".pages") or path.rstrip("/") == ".cache" for path in paths)


def npm_calls(log: Path) -> list[tuple[str, str, list[str]]]:
    """fake_npm's calls: (arguments, SHA-256 of the package-lock.json, files of its folder)."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        args, lock, files = line.split("|")
        found.append((args, lock, files.split()))
    return found


def test_npm_ci_runs_when_package_lock_json_changes_and_only_then(tmp_path):
    """build/npm holds the packages of one package-lock.json; a push (or a rebuild) whose lock is
    another one installs that one's with npm ci, once; every release's src/node_modules links
    to build/npm/node_modules, and the site gets the editor from it."""
    path, log = fake_npm(tmp_path)
    portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search", PATH=path)
    npm = portal.root / "build" / "npm"
    original = sha256(REPO / "package-lock.json")

    # build/npm is current for the pushed package-lock.json (seeded): npm is not run.
    first = portal.push()
    assert first.returncode == 0 and HEADER not in remote_lines(first.stderr), first.stderr
    assert npm_calls(log) == []
    assert not any("installing the npm packages" in line for line in remote_lines(first.stderr))
    first_release = portal.live_release()
    link = first_release / "src" / "node_modules"
    assert os.readlink(link) == "../../../build/npm/node_modules"  # relative, as src/.cache
    assert link.resolve() == NODE_MODULES.resolve()
    admin = portal.current / "admin"
    assert (admin / "index.html").is_file() and (admin / "config.yml").is_file() and list(admin.glob("*.wasm"))
    assert (admin / "decap-cms.js").read_bytes() == (NODE_MODULES / "decap-cms/dist/decap-cms.js").read_bytes()

    # A commit whose package-lock.json differs: npm ci, in a folder holding that lock and
    # package.json, its output in the push's; the new install replaces the old, with its stamp.
    lock = portal.work / "package-lock.json"
    lock.write_text(json.dumps(json.loads(lock.read_text(encoding="utf-8")), indent=1) + "\n", encoding="utf-8")
    changed = sha256(lock)
    assert changed != original
    portal.commit("Cập nhật package-lock.json")
    pushed = portal.push()
    out = remote_lines(pushed.stderr)
    assert pushed.returncode == 0 and HEADER not in out, pushed.stderr
    assert npm_calls(log) == [(NPM_CI, changed, ["package-lock.json", "package.json"])]
    assert any(line.startswith("Đang cài các gói npm / installing the npm packages of package-lock.json: npm "
                               + NPM_CI) for line in out), pushed.stderr
    assert "added 2 packages in 1s" in out  # npm's output is in the build's
    assert (npm / "package-lock.sha256").read_text(encoding="utf-8") == changed + "\n"
    assert (npm / "package-lock.json").read_bytes() == lock.read_bytes()
    assert (npm / "node_modules" / ".installed-by").read_text(encoding="utf-8") == "fake-npm\n"
    assert not (portal.root / "build" / "npm.new").exists()
    second_release = portal.live_release()
    assert (second_release / "src" / "node_modules").resolve() == (npm / "node_modules").resolve()
    assert (portal.current / "admin" / "decap-cms.js").is_file()

    # The same lock again, on a push and on rebuilds: npm is not run.
    touch_other_article(portal, "Một đoạn viết thêm.")
    portal.commit("Sửa bài")
    again = portal.push()
    assert again.returncode == 0 and HEADER not in remote_lines(again.stderr), again.stderr
    forced = portal.run(DEPLOY / "rebuild.sh", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(npm_calls(log)) == 1
    assert os.readlink(portal.live_release() / "src" / "node_modules") == "../../../build/npm/node_modules"

    # Rolled back to the first release, whose lock is the original one: its rebuild installs that.
    tmp_link = portal.root / "current.tmp"
    os.symlink(f"releases/{first_release.name}/site", tmp_link)
    os.replace(tmp_link, portal.current)
    rebuilt = portal.run(DEPLOY / "rebuild.sh", "--force")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert [call[:2] for call in npm_calls(log)] == [(NPM_CI, changed), (NPM_CI, original)]
    assert (npm / "package-lock.sha256").read_text(encoding="utf-8") == original + "\n"


def test_a_failed_npm_ci_fails_the_deploy_and_keeps_the_installed_packages(tmp_path):
    path, log = fake_npm(tmp_path, status=1, say="npm ERR! code ETIMEDOUT")
    portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search", PATH=path)
    assert portal.push().returncode == 0
    live = os.readlink(portal.current)
    stamp = (portal.root / "build" / "npm" / "package-lock.sha256").read_text(encoding="utf-8")

    lock = portal.work / "package-lock.json"
    lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    portal.commit("Cập nhật package-lock.json")
    failed = portal.push()
    out = remote_lines(failed.stderr)
    assert HEADER in out, failed.stderr
    assert "npm ERR! code ETIMEDOUT" in out
    assert any(line.startswith("package-lock.json: npm ci failed (exit status 1): the npm packages of the web "
                               "editor (/admin/) could not be installed") for line in out), failed.stderr
    assert any("push itself was accepted" in line for line in out)
    assert not any(line.startswith("built ") for line in out)  # build.py did not run
    assert len(npm_calls(log)) == 1
    assert os.readlink(portal.current) == live and len(portal.releases()) == 1
    # the last good install is left as it was, for the next push to try again
    npm = portal.root / "build" / "npm"
    assert (npm / "package-lock.sha256").read_text(encoding="utf-8") == stamp
    assert (npm / "node_modules").resolve() == NODE_MODULES.resolve()
    assert not (portal.root / "build" / "npm.new").exists()
    assert "npm ERR! code ETIMEDOUT" in (portal.root / "last-failure.log").read_text(encoding="utf-8")


def test_without_npm_the_hook_says_what_to_install_and_the_strict_build_fails(tmp_path):
    """No npm on the server: nothing is installed, the pusher is told that the web editor needs
    Node.js and npm, and the build's own warning (the editor was left out) fails it (--strict)."""
    portal = Portal(tmp_path, npm_installed=False, PORTAL_BUILD_ARGS="--no-search", PATH=path_without_npm(tmp_path))
    pushed = portal.push()
    out = remote_lines(pushed.stderr)
    assert HEADER in out, pushed.stderr
    assert any(line.startswith(NPM_MISSING) and "apt-get install nodejs npm" in line for line in out), pushed.stderr
    assert any(line.startswith(NPM_MISSING_EN) and "apt-get install nodejs npm" in line for line in out)
    assert any(line.startswith("site.yaml: ") and EDITOR_LEFT_OUT in line for line in out), pushed.stderr
    assert out.index(next(line for line in out if line.startswith(NPM_MISSING))) < out.index(
        next(line for line in out if EDITOR_LEFT_OUT in line))
    assert not portal.current.exists()
    assert not (portal.root / "build" / "npm").exists() and not (portal.root / "build" / "npm.new").exists()


def test_hosted_builds_install_the_web_editors_npm_packages():
    """The jobs that build the site with --strict (to publish it, or to check a change) have Node.js
    and npm before scripts/install.sh, which then runs npm ci --omit=dev (with or without --test),
    or the build would fail without the editor."""
    import yaml

    install = (REPO / "scripts" / "install.sh").read_text(encoding="utf-8")
    npm_ci = re.search(r"^if command -v npm >/dev/null 2>&1; then\n  npm ci --omit=dev .*\n", install, re.M)
    assert npm_ci, "scripts/install.sh no longer runs npm ci --omit=dev whenever npm is there"
    workflows = {name: yaml.safe_load((REPO / ".github/workflows" / name).read_text(encoding="utf-8"))
                 for name in ("pages.yml", "pr.yml")}
    for name, job in (("pages.yml", "build"), ("pr.yml", "check")):
        steps = workflows[name]["jobs"][job]["steps"]
        node = next(n for n, step in enumerate(steps) if step.get("uses", "").startswith("actions/setup-node@"))
        assert re.fullmatch(r"\d+(\.\d+)*", str(steps[node]["with"]["node-version"])), (name, steps[node])
        installed = next(n for n, step in enumerate(steps) if step.get("run", "").startswith("bash scripts/install.sh"))
        build = next(n for n, step in enumerate(steps) if "build.py" in step.get("run", ""))
        assert node < installed < build, (name, job)
    gitlab = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    flatten = lambda lines: [line for item in lines  # noqa: E731  GitLab flattens the lists anchors give
                             for line in (flatten(item) if isinstance(item, list) else [item])]
    for job in ("pages", "check"):
        script = flatten(gitlab[job]["script"])
        apt = next(n for n, line in enumerate(script) if "apt-get install" in line and "nodejs npm" in line)
        installed = next(n for n, line in enumerate(script) if line.startswith("bash scripts/install.sh"))
        build = next(n for n, line in enumerate(script) if "build.py" in line)
        assert apt < installed < build, (job, script)


# Old addresses of articles (aliases:): build.py lists them in site/redirects.map, nginx answers
# them with a 301 (deploy/nginx.conf), and a deploy that changes that map runs PORTAL_RELOAD.
ALIAS_ARTICLE = "content/2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai.md"
ALIAS_TARGET = "/2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai/"
RELOADED = "Đã nạp lại nginx / nginx reloaded: the new redirect map is in use."
NOT_RELOADED = "*** Chưa nạp lại được nginx / nginx was NOT reloaded: PORTAL_RELOAD"
MAP_NOTICE = "Bảng chuyển hướng (redirects.map) đã thay đổi: cần nạp lại nginx"


def set_aliases(portal: Portal, *aliases: str) -> None:
    """Give ALIAS_ARTICLE these old addresses (none: no aliases: line)."""
    path = portal.work / ALIAS_ARTICLE
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if not line.startswith("aliases:")]
    assert lines[0] == "---"
    if aliases:
        lines.insert(1, "aliases: [" + ", ".join(f'"{alias}"' for alias in aliases) + "]")
    path.write_text("\n".join(lines), encoding="utf-8")


def touch_other_article(portal: Portal, note: str) -> None:
    """Change an article's text, not its aliases: a new release with the same redirect map."""
    rel = "content/2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam.md"
    path = portal.work / rel
    path.write_text(path.read_text(encoding="utf-8") + f"\n{note}\n", encoding="utf-8")


def map_entries(site: Path) -> list[str]:
    return [line for line in (site / "redirects.map").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def reload_recorder(tmp: Path, root: Path, name: str = "reload.sh", status: int = 0, say: str = "") -> tuple[str, Path]:
    """A PORTAL_RELOAD command and the file it writes one line to per call: the release `current`
    points to at that moment, and how many old addresses its redirect map has."""
    log = tmp / f"{name}.calls"
    script = tmp / name
    script.write_text("#!/bin/sh\n"
                      f'site=$(readlink {shlex.quote(str(root / "current"))})\n'
                      f'n=$(grep -c "^\\"" {shlex.quote(str(root / "current" / "redirects.map"))})\n'
                      f'printf "%s %s\\n" "$site" "$n" >>{shlex.quote(str(log))}\n'
                      + (f"printf '%s\\n' {shlex.quote(say)} >&2\n" if say else "")
                      + f"exit {status}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script), log


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_the_hook_reloads_nginx_when_a_push_changes_the_redirect_map(tmp_path):
    root = tmp_path / "portal"
    reload, log = reload_recorder(tmp_path, root)
    portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search", PORTAL_RELOAD=reload)
    pending = root / ".reload-pending"

    # The sample has no aliases: its map lists nothing, so nginx has nothing new to read.
    first = portal.push()
    assert first.returncode == 0 and HEADER not in remote_lines(first.stderr), first.stderr
    assert map_entries(portal.current) == []
    assert calls(log) == [] and RELOADED not in remote_lines(first.stderr)

    # Old addresses: the map changes; PORTAL_RELOAD runs once, after `current` moved.
    set_aliases(portal, "/tin-tuc/123.html", "/2019/12/31/tong-ket/")
    portal.commit("Địa chỉ cũ")
    moved = portal.push()
    out = remote_lines(moved.stderr)
    assert moved.returncode == 0 and HEADER not in out, moved.stderr
    live = portal.live_release()
    assert len(map_entries(portal.current)) == 3  # "/2019/12/31/tong-ket/" and the same without "/"
    assert calls(log) == [f"releases/{live.name}/site 3"]
    updated = next(n for n, line in enumerate(out) if line.startswith("Trang đã được cập nhật / site updated:"))
    assert out.index(RELOADED) > updated
    assert not pending.exists()

    # A new release with the same map: no reload.
    touch_other_article(portal, "Một đoạn viết thêm.")
    portal.commit("Sửa bài khác")
    same = portal.push()
    assert same.returncode == 0 and HEADER not in remote_lines(same.stderr), same.stderr
    assert portal.live_release() != live
    assert calls(log) == [f"releases/{live.name}/site 3"]
    assert RELOADED not in remote_lines(same.stderr) and MAP_NOTICE not in " ".join(remote_lines(same.stderr))

    # The reload fails (e.g. no sudoers line): the site is updated all the same, the pusher sees why.
    failing, failing_log = reload_recorder(tmp_path, root, "failing.sh", status=3,
                                           say="sudo: a password is required")
    portal.env["PORTAL_RELOAD"] = failing
    set_aliases(portal, "/tin-tuc/123.html", "/2019/12/31/tong-ket/", "/Pages/chi-tiet.aspx")
    with_aspx = portal.commit("Thêm địa chỉ .aspx")
    failed = portal.push()
    out = remote_lines(failed.stderr)
    assert failed.returncode == 0 and HEADER not in out, failed.stderr
    assert any(line.startswith("Trang đã được cập nhật / site updated:") for line in out), failed.stderr
    assert (portal.live_release() / "REVISION").read_text().strip() == with_aspx
    assert len(map_entries(portal.current)) == 4
    assert calls(failing_log) == [f"releases/{portal.live_release().name}/site 4"]
    assert f"{NOT_RELOADED} ({failing}) failed, exit status 3: ***" in out, failed.stderr
    assert "sudo: a password is required" in out
    assert any("The new site is live and its redirect pages still send readers on" in line for line in out)
    assert pending.exists()

    # The next release that goes live tries again, though its map is the same as the live one's.
    portal.env["PORTAL_RELOAD"] = reload
    touch_other_article(portal, "Đoạn thứ hai.")
    portal.commit("Sửa bài khác lần nữa")
    retried = portal.push()
    assert retried.returncode == 0 and RELOADED in remote_lines(retried.stderr), retried.stderr
    assert calls(log)[1:] == [f"releases/{portal.live_release().name}/site 4"]
    assert not pending.exists()

    # No PORTAL_RELOAD: a notice that nginx must be reloaded, and nothing is run.
    portal.env["PORTAL_RELOAD"] = ""
    set_aliases(portal)
    portal.commit("Bỏ địa chỉ cũ")
    noticed = portal.push()
    out = remote_lines(noticed.stderr)
    assert noticed.returncode == 0 and HEADER not in out, noticed.stderr
    assert map_entries(portal.current) == []
    assert any(line.startswith(MAP_NOTICE) and "reload nginx" in line for line in out), noticed.stderr
    assert len(calls(log)) == 2 and len(calls(failing_log)) == 1


def test_rebuild_reloads_nginx_when_a_scheduled_article_brings_old_addresses(tmp_path):
    """A rebuild that publishes an article whose time has come publishes its aliases too; a failed
    reload does not make the rebuild fail (rebuild.sh's exit status is what systemd sees)."""
    root = tmp_path / "portal"
    failing, failing_log = reload_recorder(tmp_path, root, "failing.sh", status=1,
                                           say='nginx: [emerg] conflicting parameter "/hen-gio.aspx"')
    portal = Portal(tmp_path, SOURCE_DATE_EPOCH="1641013200", PORTAL_BUILD_ARGS="--no-search",
                    PORTAL_RELOAD=failing)
    portal.write("content/2023/05/bai-hen-gio.md", '---\ntitle: "Bài hẹn giờ"\ndate: 2023-05-01\nlevel: tinh\n'
                 'aliases: ["/hen-gio.aspx"]\n---\n\nNội dung.\n')
    portal.commit("Bài hẹn giờ")
    assert portal.push().returncode == 0
    assert map_entries(portal.current) == [] and calls(failing_log) == []  # 2023 is in the future in 2022

    env = {k: v for k, v in portal.env.items() if k != "SOURCE_DATE_EPOCH"}
    rebuilt = subprocess.run(["bash", str(DEPLOY / "rebuild.sh")], env=env, capture_output=True, text=True,
                             timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "site rebuilt" in rebuilt.stdout
    assert map_entries(portal.current) == ['"/hen-gio.aspx" "/2023/05/bai-hen-gio/"; # content/2023/05/bai-hen-gio.md']
    assert calls(failing_log) == [f"releases/{portal.live_release().name}/site 1"]
    assert NOT_RELOADED in rebuilt.stderr and "conflicting parameter" in rebuilt.stderr
    assert (root / ".reload-pending").exists()

    reload, log = reload_recorder(tmp_path, root)
    forced = subprocess.run(["bash", str(DEPLOY / "rebuild.sh"), "--force"], env={**env, "PORTAL_RELOAD": reload},
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0, forced.stderr
    assert RELOADED in forced.stdout  # the same map, but the last reload failed: tried again
    assert calls(log) == [f"releases/{portal.live_release().name}/site 1"]
    assert not (root / ".reload-pending").exists()

    again = subprocess.run(["bash", str(DEPLOY / "rebuild.sh"), "--force"], env={**env, "PORTAL_RELOAD": reload},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "site rebuilt" in again.stdout, again.stderr
    assert RELOADED not in again.stdout and len(calls(log)) == 1


# A real nginx running deploy/nginx.conf (benchmarks/nginx.py, which the search benchmark uses too).
NGINX, MIME_TYPES = nginx.NGINX, nginx.MIME_TYPES
Nginx = nginx.Nginx


@pytest.mark.skipif(NGINX is None or not MIME_TYPES.is_file(),
                    reason="nginx is not installed (bash scripts/install.sh --test installs Debian's nginx)")
def test_nginx_answers_old_addresses_with_301_once_the_hook_has_reloaded_it(tmp_path):
    """deploy/nginx.conf in a real nginx, started before the first deploy (the map's include
    matches no file yet); a push whose articles have aliases: reloads it through PORTAL_RELOAD."""
    portal_root = tmp_path / "portal"
    server = Nginx(tmp_path / "nginx", portal_root / "current")
    server.write()
    checked = server.test()
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    server.start()
    try:
        assert server.get("/")[0] == 404  # no site yet
        reload = shlex.join(server.command("-s", "reload"))
        portal = Portal(tmp_path, PORTAL_BUILD_ARGS="--no-search", PORTAL_RELOAD=reload)
        aliases = ("/tin-tuc/123.html", "/2019/12/31/tong-ket/", "/Pages/chi-tiet.aspx", "/tin tức/bài-cũ")
        set_aliases(portal, *aliases)
        portal.commit("Địa chỉ cũ")
        before = server.workers()
        assert before
        pushed = portal.push()
        out = remote_lines(pushed.stderr)
        assert pushed.returncode == 0 and HEADER not in out, pushed.stderr
        assert RELOADED in out, pushed.stderr
        site = portal.current.resolve()
        assert sorted(line.split(";")[0] for line in map_entries(site)) == sorted(
            f'"{old}" "{ALIAS_TARGET}"' for old in (*aliases, "/2019/12/31/tong-ket"))

        # nginx -s reload only sends the signal: wait until new workers have replaced all the old
        # ones (until then an old worker, with the old empty map, may still answer).
        deadline = time.monotonic() + 20
        while (not server.workers() or server.workers() & before) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.workers() and not server.workers() & before, server.log()
        for path in ("/tin-tuc/123.html",  # a redirect page exists too: the 301 comes first
                     "/2019/12/31/tong-ket/", "/2019/12/31/tong-ket",  # not the folder's own "add a /" 301
                     "/Pages/chi-tiet.aspx", "/pages/CHI-TIET.aspx",  # A-Z compared without case
                     "/Pages/chi-tiet.aspx?ItemID=123",  # the query string is dropped
                     urllib.parse.quote("/tin tức/bài-cũ"), "//tin-tuc//123.html"):
            status, headers, _ = server.get(path)
            assert (status, headers.get("location")) == (301, ALIAS_TARGET), (path, status, headers, server.log())
            assert headers["cache-control"] == "no-cache" and "content-security-policy" in headers, headers

        status, headers, body = server.get(ALIAS_TARGET)
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8", (status, headers)
        assert headers["cache-control"] == "no-cache" and headers["x-content-type-options"] == "nosniff"
        assert body == (site / ALIAS_TARGET.strip("/") / "index.html").read_bytes()
        # The folder of a page without its "/": nginx's own 301, relative (absolute_redirect off).
        status, headers, _ = server.get(ALIAS_TARGET.rstrip("/"))
        assert (status, headers.get("location")) == (301, ALIAS_TARGET)
        status, headers, body = server.get("/2019/12/khong-co-bai-nay/")
        assert status == 404 and body == (site / "404.html").read_bytes()
        asset = next(p for p in sorted((site / "assets").iterdir()) if p.suffix == ".css")
        status, headers, _ = server.get(f"/assets/{asset.name}")
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", headers
        status, headers, _ = server.get("/feed.xml")
        assert status == 200 and headers["content-type"].startswith("application/atom+xml"), headers

        # The web editor, built from the npm packages (build/npm, seeded from this repository's
        # node_modules): the server's headers, but not the site's Content-Security-Policy, which
        # would stop it (the page carries its own, in a <meta> tag); never kept stale.
        site_policy = headers["content-security-policy"]
        assert site_policy.startswith("default-src 'none'; script-src 'self' 'wasm-unsafe-eval';"), site_policy
        assert "unsafe-eval'" not in site_policy.replace("'wasm-unsafe-eval'", "")
        admin = site / "admin"
        wasm = sorted(admin.glob("*.wasm"))
        assert wasm and (admin / "decap-cms.js").is_file(), sorted(p.name for p in admin.iterdir())
        for path, kind in (("/admin/", "text/html; charset=utf-8"), ("/admin/config.yml", "text/yaml; charset=utf-8"),
                           (f"/admin/{wasm[0].name}", "application/wasm"),
                           ("/admin/decap-cms.js", "application/javascript; charset=utf-8"),
                           ("/admin/js-yaml.min.js", "application/javascript; charset=utf-8")):
            status, headers, body = server.get(path)
            assert (status, headers.get("content-type")) == (200, kind), (path, status, headers, server.log())
            served = site / path.lstrip("/") / ("index.html" if path.endswith("/") else "")
            assert body == served.read_bytes(), path
            assert headers["cache-control"] == "no-cache", (path, headers)
            assert headers["content-security-policy"] == "frame-ancestors 'self'", (path, headers)
            assert headers["x-content-type-options"] == "nosniff", (path, headers)
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin", (path, headers)
        _, _, page = server.get("/admin/")
        assert b'<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; script-src ' \
               b"&#39;self&#39; &#39;unsafe-eval&#39; &#39;wasm-unsafe-eval&#39;;" in page
        _, _, config = server.get("/admin/config.yml")
        assert "\nbackend:\n  name: gitlab\n" in config.decode("utf-8")
        assert server.get(f"/admin/{wasm[0].name}")[2][:4] == b"\0asm"
        status, headers, _ = server.get("/admin")
        assert (status, headers.get("location")) == (301, "/admin/")
        status, headers, body = server.get("/admin/khong-co.js")  # the site's 404 page, with its policy
        assert status == 404 and body == (site / "404.html").read_bytes()
        assert headers["content-security-policy"] == site_policy

        checked = server.test()  # with the map of the live release in it
        assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    finally:
        server.stop()
