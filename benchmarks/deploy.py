#!/usr/bin/env python3
"""Time the server deployment (deploy/post-receive) on a generated corpus, as an editor meets it.

    python benchmarks/deploy.py [--articles 10000] [--work /tmp/portal-bench] [--no-search]

Makes a bare repository with the hook of this checkout, a working repository holding the corpus
with this checkout's build.py, sitegen/ and deploy/, and times `git push` (which returns when the
hook has built and published the site): the first push, then a push that edits one article, a
push that adds one, and deploy/rebuild.sh with nothing due. Prints each time, build.py's summary
of each build (its time stage by stage), and what the releases take on disk. The hook builds
with --strict, so the Icelandic Eth the corpus puts in some articles (for build.py to warn
about) is replaced first. Timings are for this machine; nothing here is asserted by the tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import child_env, empty_trash, make_site, set_aside, wait_for_disk  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CODE = ("build.py", "sitegen", "deploy", "requirements.txt")
GIT_ID = {"GIT_AUTHOR_NAME": "Ban Biên tập", "GIT_AUTHOR_EMAIL": "bbt@example.vn",
          "GIT_COMMITTER_NAME": "Ban Biên tập", "GIT_COMMITTER_EMAIL": "bbt@example.vn"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    parser.add_argument("--no-search", action="store_true", help="publish without the search index")
    args = parser.parse_args()
    wait_for_disk(args.work)
    corpus = make_site(args.work / f"corpus-{args.articles}", args.articles)
    base = args.work / f"deploy-{args.articles}"
    set_aside(base, args.work)                     # not deleted: see corpus.set_aside
    base.mkdir(parents=True)
    env = {k: v for k, v in child_env().items() if not k.startswith(("PORTAL_", "GIT_"))}
    env.update(GIT_ID, HOME=str(base), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C.UTF-8",
               PORTAL_ROOT=str(base / "portal"), PORTAL_PYTHON=sys.executable, PORTAL_KEEP="100",
               PORTAL_CONFIG=str(base / "no-such-portal.env"),
               PORTAL_BUILD_ARGS="--no-search" if args.no_search else "")

    def git(cwd: Path, *argv: str) -> None:
        subprocess.run(["git", *argv], cwd=cwd, env=env, check=True, capture_output=True)

    bare, work = base / "portal.git", base / "work"
    git(base, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    shutil.copy2(REPO / "deploy" / "post-receive", bare / "hooks" / "post-receive")
    work.mkdir()
    for part in ("content", "templates", "assets", "site.yaml"):
        (shutil.copytree if (corpus / part).is_dir() else shutil.copy2)(corpus / part, work / part)
    for part in CODE:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(
            REPO / part, work / part, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                         if (REPO / part).is_dir() else {}))
    # The hook builds with --strict, where a warning fails the build: fix the Icelandic Eth the
    # corpus puts in some articles (on purpose, for build.py to warn about) as an editor would.
    for path in (work / "content").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        if "\u00d0" in text:
            path.write_text(text.replace("\u00d0", "\u0110"), encoding="utf-8")
    git(work, "init", "-q", "--initial-branch=main")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "corpus")

    def timed(label: str, *command: str, cwd: Path = work) -> None:
        start = time.perf_counter()
        done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        # A push succeeds even when the hook's build fails: the hook says so on stderr.
        if done.returncode != 0 or "build failed" in done.stderr:
            sys.exit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
        print(f"{label:<28} {seconds:7.2f} s", flush=True)
        for line in (done.stdout + done.stderr).splitlines():     # build.py's summary, stage by stage
            if "built " in line or "nothing changed" in line:
                print("   ", line.removeprefix("remote:").strip(), flush=True)

    print(f"# {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}: {args.articles} "
          f"articles, {'no search' if args.no_search else 'with search'}")
    timed("first push", "git", "push", "-q", "origin", "main")
    target = sorted((work / "content").rglob("*.md"))[args.articles // 2]
    target.write_text(target.read_text(encoding="utf-8") + f"\nĐoạn sửa lúc {time.time()}.\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "edit")
    timed("push: one article edited", "git", "push", "-q", "origin", "main")
    new = work / "content" / "2025" / "12" / "bai-moi-benchmark.md"
    new.write_text('---\ntitle: "Bài mới"\ndate: 2025-12-30\nlevel: tinh\nauthor: "Văn Huỳnh"\n---\n\nNội dung.\n',
                   encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "new")
    timed("push: one article added", "git", "push", "-q", "origin", "main")
    timed("rebuild.sh, nothing due", "bash", str(base / "portal" / "current" / ".." / "src" / "deploy" / "rebuild.sh"))
    usage = subprocess.run(["du", "-sh", "--", str(base / "portal")], capture_output=True, text=True).stdout.split()[0]
    releases = len(list((base / "portal" / "releases").iterdir()))
    print(f"disk: {usage} for {releases} releases and what they keep (du counts a hard-linked file once)")
    set_aside(base, args.work)
    empty_trash(args.work)


if __name__ == "__main__":
    main()
