"""`serve --admin`: decap-server beside the preview, so the web editor saves into this working copy.

decap-server (pinned in package-lock.json, run with Node) writes each saved article and image
into the working copy and commits it; the preview's watcher sees the files and rebuilds, so a
saved article shows at once. It is bound to 127.0.0.1 only: it has no authentication, and anyone
who reached it could write into the repository.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .admin import LocalBackend

DECAP_SERVER = Path("node_modules") / "decap-server" / "dist" / "index.js"
START_SECONDS = 20


class EditorServerError(Exception):
    """decap-server cannot be started; the message says what to do."""


def git_branch(root: Path) -> str:
    """The branch checked out in the working copy (decap-server commits on it)."""
    if shutil.which("git") is None:
        raise EditorServerError("git is not installed (apt-get install git): the web editor commits each save")
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True,
                          text=True)
    branch = done.stdout.strip()
    if done.returncode != 0 or not branch or branch == "HEAD":
        raise EditorServerError(f"{root} is not a git working copy on a branch (git init, or git checkout a branch): "
                                "the web editor commits each save")
    return branch


def uncommitted(root: Path) -> list[str]:
    """Files git would add: decap-server commits with `git add .`, so they would go in too."""
    done = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
                          capture_output=True, text=True)
    return [line[3:] for line in done.stdout.splitlines() if line.strip()]


def start(root: Path, port: int) -> tuple[subprocess.Popen, LocalBackend]:
    """Start decap-server on 127.0.0.1:`port` for the working copy at `root`; wait until it listens."""
    node = shutil.which("node")
    script = root / DECAP_SERVER
    if node is None:
        raise EditorServerError("the web editor needs Node.js and npm: apt-get install nodejs npm, then npm ci "
                                "(or bash scripts/install.sh)")
    if not script.is_file():
        raise EditorServerError("the web editor needs the npm packages of package.json: run npm ci (or bash "
                                "scripts/install.sh)")
    local = LocalBackend(port, git_branch(root))
    if _listening(port):
        raise EditorServerError(f"port {port} of 127.0.0.1 is taken: choose another with --admin-port")
    env = {**os.environ, "PORT": str(port), "BIND_HOST": "127.0.0.1", "MODE": "git",
           "GIT_REPO_DIRECTORY": str(root), "LOG_LEVEL": os.environ.get("DECAP_LOG_LEVEL", "warn")}
    # started in its own folder: it reads a .env file from where it starts
    process = subprocess.Popen([node, str(script)], cwd=str(script.parent), env=env)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EditorServerError(f"decap-server stopped at once (exit status {process.returncode})")
        if _listening(port):
            return process, local
        time.sleep(0.1)
    stop(process)
    raise EditorServerError(f"decap-server did not start listening on 127.0.0.1:{port} in {START_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    """Stop decap-server (and wait for it)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
