"""`build.py serve` tested as a process: serving, live reload, the error overlay, refused requests."""
from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .browser import chromium
from .conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Preview:
    """A running `build.py serve` on a copy of the sample portal."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root), "--port", str(self.port),
             "--no-search"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("preview: "):
                return
            if not line and self.process.poll() is not None:
                break
        raise AssertionError("the preview server did not start")

    def request(self, method: str, path: str) -> tuple[int, bytes]:
        """A raw request: the path is sent exactly as given (no client-side normalisation)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(f"{method} {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    def get(self, path: str) -> str:
        status, body = self.request("GET", path)
        assert status == 200, (path, status)
        return body.decode("utf-8")

    def events(self):
        """Yield each `state` event of the live-reload stream as a dict."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.request("GET", "/__livereload")
        response = conn.getresponse()
        assert response.getheader("Content-Type").startswith("text/event-stream")
        event = None
        while True:
            line = response.fp.readline().decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "state":
                yield json.loads(line[6:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def preview(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    server = Preview(root)
    yield server
    server.stop()


ARTICLE = "2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai"


def next_state(stream, seen: int) -> dict:
    for state in stream:
        if state["version"] > seen:
            return state
    raise AssertionError("stream ended")


def test_pages_are_served_with_the_reload_script(preview):
    html = preview.get(f"/{ARTICLE}/")
    assert "<h1>Liên đoàn Lao động tỉnh: Tổng kết" in html
    assert '<script src="/__livereload.js" defer></script></body>' in html
    built = (preview.root / ".cache/preview" / ARTICLE / "index.html").read_text()
    assert "__livereload" not in built                      # only injected while serving
    assert not (preview.root / "output").exists()           # the preview never writes output/
    assert "EventSource" in preview.get("/__livereload.js")
    status, body = preview.request("GET", "/khong-co-trang-nay/")
    assert status == 404 and "Không tìm thấy trang" in body.decode()


def test_edit_rebuilds_and_reloads(preview):
    stream = preview.events()
    first = next(stream)
    assert first["errors"] == []
    source = next((preview.root / "content/2019/12").glob("lien-doan*.md"))
    source.write_text(source.read_text().replace("Thảo luận tại hội nghị", "Đoạn đã sửa: thảo luận tại hội nghị"),
                      encoding="utf-8")
    state = next_state(stream, first["version"])
    assert state["errors"] == []
    assert "Đoạn đã sửa: thảo luận tại hội nghị" in preview.get(f"/{ARTICLE}/")


def test_broken_edit_keeps_last_good_site_and_reports(preview):
    stream = preview.events()
    first = next(stream)
    before = preview.get(f"/{ARTICLE}/")
    source = next((preview.root / "content/2019/12").glob("lien-doan*.md"))
    good = source.read_text()
    source.write_text(good.replace("date: 2019-12-31", "date: hôm qua"), encoding="utf-8")
    broken = next_state(stream, first["version"])
    assert [(e["path"], e["field"]) for e in broken["errors"]] == [(f"content/2019/12/{source.name}", "date")]
    assert broken["errors"][0]["hint"].startswith("Ngày đăng chưa đúng")
    assert 'got "hôm qua"' in broken["errors"][0]["text"]
    assert preview.get(f"/{ARTICLE}/") == before            # the last good page is still served
    source.write_text(good, encoding="utf-8")
    fixed = next_state(stream, broken["version"])
    assert fixed["errors"] == []


@pytest.mark.parametrize("path", ["/../site.yaml", "/%2e%2e/site.yaml", "/%2E%2E/%2e%2e/etc/passwd",
                                  "/%252e%252e/site.yaml", "/..%2fsite.yaml", "/assets/../../site.yaml",
                                  "/..\\site.yaml", "/%5c..%5csite.yaml"])
def test_traversal_is_refused(preview, path):
    status, body = preview.request("GET", path)
    assert status == 403 and b"content:" not in body and b"title:" not in body


def test_only_get_and_head(preview):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, _ = preview.request(method, "/")
        assert status == 405, method
    status, body = preview.request("HEAD", "/")
    assert status == 200 and body == b""


def test_listens_on_loopback_only(preview):
    output = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if shutil.which("ss") else ""
    if output:
        listening = [line.split()[3] for line in output.splitlines()[1:] if line.split()[3].endswith(f":{preview.port}")]
        assert listening == [f"127.0.0.1:{preview.port}"]
    else:
        with pytest.raises(OSError):
            socket.create_connection((socket.gethostbyname(socket.gethostname()), preview.port), timeout=2)


def test_overlay_in_the_browser(preview):
    source = next((preview.root / "content/2019/12").glob("lien-doan*.md"))
    good = source.read_text()
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{preview.port}/{ARTICLE}/")
        page.wait_for_function("typeof EventSource !== 'undefined'")
        page.wait_for_timeout(300)
        source.write_text(good.replace("level: tinh", "level: tinhh"), encoding="utf-8")
        overlay = page.wait_for_selector("#preview-errors", timeout=15000)
        text = overlay.text_content()
        assert "Bản xem trước chưa cập nhật: có lỗi cần sửa" in text
        assert f"content/2019/12/{source.name}" in text and 'unknown level "tinhh"' in text
        assert "Cấp công đoàn (level)" in text
        assert page.locator("h1").first.text_content().startswith("Liên đoàn Lao động tỉnh")   # last good page
        source.write_text(good, encoding="utf-8")
        page.wait_for_selector("#preview-errors", state="detached", timeout=15000)


def test_bounded_load_without_errors_or_leaked_descriptors(preview):
    """500 requests, 20 at a time, against 127.0.0.1 only: every one answered, no descriptor left open."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    fd_dir = Path(f"/proc/{preview.process.pid}/fd")
    paths = ["/", f"/{ARTICLE}/", "/chu-de/", "/luu-tru/", "/feed.xml", "/assets/", "/khong-co/", "/../x"]
    expected = {"/": 200, f"/{ARTICLE}/": 200, "/chu-de/": 200, "/luu-tru/": 200, "/feed.xml": 200,
                "/assets/": 404, "/khong-co/": 404, "/../x": 403}
    preview.get("/")
    before = len(os.listdir(fd_dir))
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda i: (paths[i % len(paths)], preview.request("GET", paths[i % len(paths)])[0]),
                                 range(500)))
    assert all(status == expected[path] for path, status in statuses)
    time.sleep(0.5)
    assert len(os.listdir(fd_dir)) <= before + 2
    assert preview.process.poll() is None
