"""deploy/nginx.conf, as shipped, in an nginx of its own: for tests/test_deploy.py and for
benchmarks/search_latency.py, which times the search page as production serves it.

Only what must differ is replaced (the site's folder, the address to listen on); each replaced
line must be in the file once, so a change to deploy/nginx.conf fails here rather than quietly
testing something else. Debian puts nginx in /usr/sbin, which is not on every user's PATH;
`bash scripts/install.sh --test` installs it.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
MIME_TYPES = Path("/etc/nginx/mime.types")


def available() -> bool:
    """Whether an nginx and Debian's mime.types (which deploy/nginx.conf includes) are here."""
    return NGINX is not None and MIME_TYPES.is_file()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shipped_site(site: Path, port: int) -> str:
    """deploy/nginx.conf as shipped, but for `site` (PORTAL_ROOT/current) and 127.0.0.1:port."""
    text = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for line, replacement in (("root /srv/portal/current;", f'root "{site}";'),
                              ("include /srv/portal/current/redirects*.map;", f'include "{site}/redirects*.map";'),
                              ("listen 80;", f"listen 127.0.0.1:{port};"),
                              ("listen [::]:80;", "")):
        text, count = re.subn(rf"^(\s*){re.escape(line)}$", lambda m: m.group(1) + replacement, text, flags=re.M)
        if count != 1:
            raise AssertionError(f"deploy/nginx.conf: expected one line `{line}`, found {count}")
    return text


class Nginx:
    """nginx with a throwaway top-level configuration around deploy/nginx.conf, everything it
    writes in `folder`, no `user` unless root (its workers then run as root to read tmp_path).

    With `access_log`, each answer's path and the bytes sent for it (headers and body, as on the
    wire) are logged, for `sent()`; the site's own locations that turn the log off (/assets/) are
    logged too, as nginx's log is set here at the http level and the shipped `access_log off`
    lines are left out."""

    def __init__(self, folder: Path, site: Path, access_log: bool = False):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        # deploy/nginx.conf includes "mime.types" from the folder of the top-level file, as on Debian.
        shutil.copy(MIME_TYPES, folder / "mime.types")
        self.conf = folder / "nginx.conf"
        self.site = site
        self.port = 0
        self.access_log = folder / "access.log" if access_log else None
        self.process: subprocess.Popen | None = None
        self._read_from = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write(self) -> None:
        self.port = free_port()
        temp = "\n".join(f'    {kind}_temp_path "{self.folder / kind}";'
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        site = shipped_site(self.site, self.port)
        if self.access_log:
            log = f"    log_format sent '$uri $bytes_sent';\n    access_log \"{self.access_log}\" sent;\n"
            site = re.sub(r"^\s*access_log off;\n", "", site, flags=re.M)
        else:
            log = "    access_log off;\n"
        self.conf.write_text(
            "daemon off;\nworker_processes 1;\n"
            f'pid "{self.folder / "nginx.pid"}";\nerror_log "{self.folder / "error.log"}" info;\n'
            + ("user root root;\n" if os.geteuid() == 0 else "")
            + "events { worker_connections 64; }\n"
            "http {\n    include mime.types;\n    default_type application/octet-stream;\n"
            f"{log}{temp}\n{site}\n}}\n", encoding="utf-8")

    def command(self, *args: str) -> list[str]:
        # -e: not Debian's /var/log/nginx/error.log, which only root may open, before the file is read
        return [NGINX, "-p", f"{self.folder}/", "-c", str(self.conf), "-e", "stderr", *args]

    def test(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        for _ in range(3):  # the free port may be taken between free_port() and nginx's bind
            self.write()
            with open(self.folder / "stderr.log", "w") as stderr:
                self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=stderr)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            self.stop()
            if "Address already in use" not in self.log():
                break
        raise AssertionError(f"nginx did not start:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace")
                         for path in (self.folder / "stderr.log", self.folder / "error.log") if path.exists())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers(self) -> set[int]:
        """The live worker processes of this nginx (Linux /proc): a reload replaces them all."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            if self.process and int(ppid) == self.process.pid and state != "Z":
                found.add(int(stat.parent.name))
        return found

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": "congdoan.example.vn", **(headers or {})})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    # -- the access log: what was sent since reset() --------------------------------------------

    def reset(self) -> None:
        self._read_from = self.access_log.stat().st_size if self.access_log and self.access_log.exists() else 0

    def sent(self) -> list[tuple[str, int]]:
        """(path, bytes sent) of each answer since reset(), as logged (nginx logs an answer once
        it is sent)."""
        if not self.access_log or not self.access_log.exists():
            return []
        with open(self.access_log, "rb") as log:
            log.seek(self._read_from)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        return [(path, int(size)) for path, _, size in (line.rpartition(" ") for line in lines) if size.isdigit()]
