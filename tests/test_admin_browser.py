"""The web editor in a real browser: `build.py serve --admin` on a git copy of the sample portal.

Decap CMS (/admin/) in Debian's Chromium saves through decap-server into the copy's working tree,
each save a commit; the tests read what was committed (the file's exact text, the image, the
commit itself), check the site with `build.py check`, and look for the article in the rebuilt
preview. The browser reaches nothing but 127.0.0.1: every other request is aborted and counted,
and each test ends by asserting there was none, no Content-Security-Policy violation and no
script error.
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitegen.text import slugify

from .browser import CHROMIUM, chromium
from .conftest import REPO

_MISSING = [what for what, there in (
    (CHROMIUM, Path(CHROMIUM).is_file()),
    ("node (Node.js)", shutil.which("node") is not None),
    ("git", shutil.which("git") is not None),
    ("node_modules/decap-cms (npm ci)", (REPO / "node_modules" / "decap-cms").is_dir()),
) if not there]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason="the web editor's browser tests need " + ", ".join(_MISSING)
                                + " (bash scripts/install.sh --test installs them)")

# decap-server commits with git: who the commits are by, and no configuration of this machine's
GIT_ENV = {"GIT_AUTHOR_NAME": "Biên tập viên", "GIT_AUTHOR_EMAIL": "bientap@congdoan.example.vn",
           "GIT_COMMITTER_NAME": "Biên tập viên", "GIT_COMMITTER_EMAIL": "bientap@congdoan.example.vn",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
# Every address but this machine's: matched by Playwright itself, so that requests to 127.0.0.1 never
# wait for Python (in the sync API a route's handler only runs while the test calls Playwright)
ELSEWHERE = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?::\d+)?/)")
EXISTING = "2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam"
ENGLISH = ("Insert from URL", "Copy", "Choose an image", "Save", "Publish", "Delete")


# --- the site and the server -----------------------------------------------------------------------

def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def sample_repository(root: Path) -> Path:
    """A git working copy of the sample portal (as conftest's `sample` copies it), on branch main."""
    root.mkdir(parents=True)
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    (root / "node_modules").symlink_to(REPO / "node_modules")
    # (no trailing slash for node_modules: a symbolic link is not a folder to git)
    (root / ".gitignore").write_text("/node_modules\n/.cache/\n/output/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Trang mẫu")
    return root


def free_port(taken: tuple[int, ...] = ()) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`: their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, finished but not yet collected, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Editor:
    """`build.py serve --admin` running on a site: the preview on `port`, decap-server on `admin_port`."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.admin_port = free_port((self.port,))
        self.base = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        started = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--admin", "--no-search", "--root", str(root),
             "--port", str(self.port), "--admin-port", str(self.admin_port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **GIT_ENV})

        def drain() -> None:
            for line in self.process.stdout:
                self.output.append(line.rstrip("\n"))
                if line.startswith("web editor: "):
                    started.set()

        threading.Thread(target=drain, daemon=True).start()
        if not started.wait(60):
            self.stop()
            raise AssertionError("serve --admin did not start:\n" + "\n".join(self.output))
        self.decap = {pid: cmd for pid, cmd in children(self.process.pid).items() if "decap-server" in cmd}
        assert len(self.decap) == 1, ("decap-server is not a child of serve --admin", children(self.process.pid))

    def stop(self) -> list[int]:
        """Stop serve as systemd or a terminal closing would (SIGTERM); the decap-server processes
        that outlived it (killed then, so that none is left behind)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        left = [pid for pid in getattr(self, "decap", {}) if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        return left

    def state(self) -> dict:
        """The preview's build state, as its live-reload stream tells the pages: {version, errors}."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/__livereload")
            response = conn.getresponse()
            while True:
                line = response.fp.readline().decode("utf-8")
                if not line:
                    raise AssertionError("the live-reload stream ended")
                if line.startswith("data: "):
                    return json.loads(line[6:])
        finally:
            conn.close()

    def settled(self, since: int, pause, timeout: float = 30) -> dict:
        """Wait for a successful rebuild newer than version `since`, with no other one after it for 1 s."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            state = self.state()
            if state["version"] > since and not state["errors"] and last == state["version"]:
                return state
            last = state["version"] if state["version"] > since and not state["errors"] else None
            pause(1000)
        raise AssertionError(f"no successful rebuild after version {since}: {self.state()}\n" + "\n".join(self.output))

    def get(self, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def build(self, command: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "build.py"), command, "--root", str(self.root), *args],
                              capture_output=True, text=True)


def wait_for(condition, timeout: float, what: str, pause=None):
    """Poll `condition` until it is true; `pause` (a page's wait_for_timeout) lets the page's events
    run meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if pause is not None:
            pause(200)
        else:
            time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    server = Editor(sample_repository(tmp_path_factory.mktemp("admin") / "site"))
    yield server
    left = server.stop()
    assert not left, f"decap-server (pid {left}) outlived serve --admin"
    assert not listening(server.admin_port), "something still listens on decap-server's port"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


# --- the browser ------------------------------------------------------------------------------------

class Session:
    """A fresh browser profile on the editor: no request leaves the machine; problems are recorded."""

    def __init__(self, browser, editor: Editor):
        self.editor = editor
        self.external: list[str] = []
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.logged: list[str] = []                 # errors Decap logs (console.error)
        # Vietnam's time, as the editors' computers: a date of 1 June 05:00 is still 31 May in UTC
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh")
        self.context.route(ELSEWHERE, self._refuse)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _refuse(self, route) -> None:
        if urlsplit(route.request.url).scheme in ("data", "blob"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def wait_for(self, condition, timeout: float, what: str):
        return wait_for(condition, timeout, what, self.page.wait_for_timeout)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)
        elif message.type == "error":
            self.logged.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept()

    def text(self) -> str:
        """What the page shows and says: its visible text and its labels, titles and placeholders."""
        return self.page.evaluate("""() => {
            const out = [document.body.innerText];
            for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt], input[value]'))
                for (const name of ['title', 'aria-label', 'placeholder', 'alt', 'value'])
                    if (el.getAttribute(name)) out.push(el.getAttribute(name));
            return out.join('\\n');
        }""")

    def sign_in(self) -> None:
        self.page.goto(self.editor.base + "/admin/")
        self.page.get_by_role("button", name="Đăng nhập").click()
        self.page.wait_for_url("**/admin/#/collections/articles")
        self.page.get_by_text("Bài viết", exact=True).first.wait_for()

    def open(self, fragment: str) -> None:
        self.page.goto(f"{self.editor.base}/admin/#/collections/articles/{fragment}")
        self.page.get_by_label("Tiêu đề").wait_for()

    def choose_level(self, name: str) -> None:
        self.page.get_by_label("Cấp công đoàn").click()
        self.page.get_by_role("option", name=name, exact=True).click()

    def add_topics(self, *topics: str) -> None:
        box = self.page.get_by_label("Chủ đề")
        for topic in topics:
            box.fill(topic)
            box.press("Enter")

    def open_media(self) -> None:
        self.page.get_by_role("button", name="Chọn một hình").click()
        self.page.get_by_role("button", name="Tải lên").wait_for()

    def upload(self, image: Path) -> None:
        """In the media dialog: upload through its file input (the "Tải lên" button opens it)."""
        self.page.locator('input[type="file"]').set_input_files(str(image))

    def type_body(self, text: str) -> None:
        """Type into the body's editor, which opens in the Markdown (raw) mode."""
        self.page.get_by_text("Markdown", exact=True).wait_for()
        self.page.locator('[data-slate-editor="true"]').last.click()
        self.page.keyboard.type(text)

    def publish(self) -> str:
        """Công bố → Công bố ngay; wait for decap-server's commit; its message."""
        before = head(self.editor.root)
        self.page.get_by_role("button", name="Công bố", exact=True).click()
        self.page.get_by_role("menuitem", name="Công bố ngay").click()
        try:
            self.wait_for(lambda: head(self.editor.root) != before, 30, "the save's commit")
        except AssertionError:
            raise AssertionError(f"no commit after Công bố; script errors: {self.errors + self.logged}; policy "
                                 f"violations: {self.csp}; serve --admin printed:\n" + "\n".join(self.editor.output)
                                 ) from None
        self.page.get_by_text("Đã công bố").wait_for()
        return git(self.editor.root, "log", "-1", "--format=%s").strip()

    def check(self) -> None:
        """Nothing left the machine, nothing broke the page's policy, no script failed."""
        self.page.wait_for_timeout(300)             # (events still on their way are counted too)
        assert self.external == [], f"requests to other hosts: {self.external}"
        assert self.csp == [], f"Content-Security-Policy violations: {self.csp}"
        assert self.errors == [] and self.logged == [], f"script errors: {self.errors}; logged: {self.logged}"


@pytest.fixture
def session(browser, editor):
    s = Session(browser, editor)
    yield s
    s.context.close()


@pytest.fixture
def photo(tmp_path) -> Path:
    """A small PNG like a camera's photo (drawn with Pillow)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (32, 86, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 120, 300, 190), fill=(200, 40, 40))
    draw.ellipse((130, 20, 190, 80), fill=(250, 210, 60))
    path = tmp_path / "dai-hoi-bieu-quyet.png"
    image.save(path)
    return path


# --- the tests --------------------------------------------------------------------------------------

TITLE = "Đại hội Công đoàn cơ sở Trường THPT Lê Quý Đôn nhiệm kỳ 2026–2031"
NEW_TOPIC = "Đại hội nhiệm kỳ"
ALT = "Đại biểu giơ thẻ biểu quyết tại đại hội"
CAPTION = "Đại biểu biểu quyết thông qua nghị quyết đại hội."
TABLE = "| Nội dung | Kết quả |\n|---|---|\n| Đại biểu dự | 45 |\n| Tán thành | 100% |"
BODY = "Sáng 1/6, Công đoàn cơ sở Trường THPT Lê Quý Đôn tổ chức đại hội nhiệm kỳ 2026–2031.\n\n" + TABLE


def test_a_new_article_is_committed_in_the_canonical_style_and_published(session, editor, photo):
    slug = slugify(TITLE)
    session.sign_in()
    session.open("new")
    page = session.page
    page.get_by_label("Tiêu đề").fill(TITLE)
    page.locator('input[type="datetime-local"]').first.fill("2026-06-01T05:00")
    session.choose_level("Cơ sở")
    session.add_topics("Thi đua", NEW_TOPIC)
    session.open_media()
    session.upload(photo)
    page.get_by_text(photo.name, exact=True).wait_for()
    page.get_by_role("button", name="Lấy những cái đã chọn").click()
    page.get_by_role("button", name="Chọn hình khác").wait_for()
    session.type_body(BODY)
    # an image without its description is refused: nothing is saved
    before = head(editor.root)
    page.get_by_role("button", name="Công bố", exact=True).click()
    page.get_by_role("menuitem", name="Công bố ngay").click()
    page.get_by_text("Ảnh đầu bài cần lời mô tả").wait_for()
    page.wait_for_timeout(1000)
    assert head(editor.root) == before
    # (Decap refuses with a promise rejected without a reason, which the page reports as "undefined")
    assert session.errors == ["undefined"]
    session.errors.clear()
    page.get_by_label("Mô tả ảnh").fill(ALT)
    page.get_by_label("Chú thích ảnh").fill(CAPTION)
    preview = page.frame_locator("iframe").first
    assert preview.locator("table td").first.inner_text(timeout=10_000) == "Đại biểu dự"   # the preview pane
    assert preview.locator("h1").inner_text() == TITLE

    message = session.publish()
    assert message.startswith("Thêm bài"), message
    added = git(editor.root, "show", "--format=", "--name-status", "HEAD").splitlines()
    assert sorted(added) == sorted([f"A\tcontent/2026/06/{slug}.md", f"A\tcontent/2026/06/anh/{photo.name}"])
    text = (editor.root / f"content/2026/06/{slug}.md").read_text(encoding="utf-8")
    assert text == (
        "---\n"
        f'title: "{TITLE}"\n'
        "date: 2026-06-01 05:00\n"
        "level: co-so\n"
        f'topics: ["Thi đua", "{NEW_TOPIC}"]\n'
        f'image: "anh/{photo.name}"\n'
        f'image_alt: "{ALT}"\n'
        f'image_caption: "{CAPTION}"\n'
        "---\n"
        "\n" + BODY + "\n")
    assert TABLE in text                                    # the table's lines as they were typed
    assert (editor.root / f"content/2026/06/anh/{photo.name}").read_bytes() == photo.read_bytes()
    assert git(editor.root, "status", "--porcelain") == ""

    checked = editor.build("check", "--strict")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    status, html = session.wait_for(lambda: (lambda got: got if got[0] == 200 else None)(
        editor.get(f"/2026/06/{slug}/")), 30, "the new article's page in the preview")
    assert f"<h1>{TITLE}</h1>" in html and f'alt="{ALT}"' in html and "<td>Đại biểu dự</td>" in html
    session.check()


def test_editing_a_summary_changes_one_line_of_one_file(session, editor):
    summary = "Công đoàn Viên chức tỉnh sơ kết 6 tháng đầu năm 2021, đề ra nhiệm vụ 6 tháng cuối năm."
    path = f"content/{EXISTING}.md"
    before = (editor.root / path).read_text(encoding="utf-8")
    assert "\nsummary:" not in before
    session.sign_in()
    session.open(f"entries/{EXISTING}")
    page = session.page
    title = "Công đoàn viên chức tỉnh sơ kết hoạt động công đoàn 6 tháng đầu năm"
    session.wait_for(lambda: page.get_by_label("Tiêu đề").input_value() == title, 10, "the article to load")
    page.get_by_label("Tóm tắt").fill(summary)
    message = session.publish()
    assert message.startswith("Sửa bài"), message
    assert git(editor.root, "show", "--format=", "--numstat", "HEAD").splitlines() == [f"1\t0\t{path}"]
    diff = git(editor.root, "show", "--format=", "-U0", "HEAD").splitlines()
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [f'+summary: "{summary}"']
    after = (editor.root / path).read_text(encoding="utf-8")
    assert after == before.replace('"]\n---\n', f'"]\nsummary: "{summary}"\n---\n', 1)   # after topics:
    session.check()


def test_a_draft_is_committed_but_stays_out_of_the_site(session, editor, tmp_path):
    title = "Kế hoạch tổ chức Tháng Công nhân năm 2026 (dự thảo)"
    slug = slugify(title)
    session.sign_in()
    session.open("new")
    page = session.page
    page.get_by_label("Tiêu đề").fill(title)
    page.locator('input[type="datetime-local"]').first.fill("2026-05-10T08:30")
    session.choose_level("Cấp tỉnh")
    draft = page.get_by_label("Bản nháp")
    draft.click()
    assert draft.get_attribute("aria-checked") == "true"
    session.type_body("Dự thảo kế hoạch, chưa đăng.")
    version = editor.state()["version"]
    assert session.publish().startswith("Thêm bài")
    path = editor.root / f"content/2026/05/{slug}.md"
    assert path.read_text(encoding="utf-8") == (
        f'---\ntitle: "{title}"\ndate: 2026-05-10 08:30\nlevel: tinh\ntopics: []\ndraft: true\n---\n\n'
        "Dự thảo kế hoạch, chưa đăng.\n")
    editor.settled(version, page.wait_for_timeout)
    status, _ = editor.get(f"/2026/05/{slug}/")
    assert status == 404
    checked = editor.build("check", "--strict")
    assert checked.returncode == 0 and "held back: 1 draft(s)" in checked.stdout, checked.stdout + checked.stderr
    # the address looked at is the draft's: built with --drafts, the page is there
    built = editor.build("build", "--drafts", "--no-search", "-q", "--output", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / f"2026/05/{slug}/index.html").is_file()
    session.check()


def test_the_editor_speaks_vietnamese(session, editor, photo):
    def english() -> list[str]:
        shown = session.text()
        return [word for word in ENGLISH if re.search(rf"\b{word}\b", shown)]

    page = session.page
    page.goto(editor.base + "/admin/")
    page.get_by_role("button", name="Đăng nhập").wait_for()
    assert english() == [], "the sign-in page"
    session.sign_in()
    assert english() == [], "the list of articles"
    page.get_by_text("Thêm bài viết", exact=True).wait_for()       # not Decap's "＋ bài viết"
    session.open("new")
    assert english() == [], "the new article's form"
    session.open_media()
    assert english() == [], "the media dialog"
    before = head(editor.root)
    session.upload(photo)
    page.get_by_text(photo.name, exact=True).wait_for()
    assert english() == [], "the media dialog with an image chosen"
    session.upload(photo)                       # the same name again: Decap would replace it; we refuse
    session.wait_for(lambda: session.dialogs, 10, "the replace prompt")
    assert session.dialogs == [f"Đã có tệp {photo.name} trong thư mục ảnh của tháng này (có thể là ảnh của bài "
                               "khác). Ảnh mới chưa được tải lên: hãy đổi tên tệp trong máy (ví dụ thêm -2) rồi tải "
                               "lên lại."]
    page.get_by_role("button", name="Lấy những cái đã chọn").click()
    page.get_by_role("button", name="Chọn hình khác").wait_for()
    assert english() == [], "the form with an image"
    session.open(f"entries/{EXISTING}")
    assert english() == [], "an article's form"
    assert head(editor.root) == before          # an unsaved article's images are not committed
    # the review workflow (with a git host only): its statuses named as the help text names them
    vi = page.evaluate("""() => { const vi = window.CMS.getLocale("vi");
        return [vi.editor.editorToolbar.draft, vi.editor.editorToolbar.inReview, vi.editor.editorToolbar.ready,
                vi.workflow.workflowList.inReviewHeader, vi.editor.editorToolbar.statusInfoTooltipDraft]; }""")
    assert vi[:4] == ["Bản nháp", "Chờ duyệt", "Sẵn sàng", "Chờ duyệt"] and "‘Chờ duyệt’" in vi[4]
    session.check()


def non_loopback_ipv4() -> list[str]:
    """This machine's IPv4 addresses other than 127.0.0.0/8 (from `ip -4 addr`, else `hostname -I`)."""
    if shutil.which("ip"):
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
        candidates = re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)", out)
    elif shutil.which("hostname"):
        candidates = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    else:
        candidates = []
    found: list[str] = []
    for candidate in candidates:
        try:
            address = ipaddress.IPv4Address(candidate)
        except ValueError:          # hostname -I lists IPv6 addresses too
            continue
        if not address.is_loopback and candidate not in found:
            found.append(candidate)
    return found


def test_decap_server_answers_on_loopback_only(editor):
    conn = http.client.HTTPConnection("127.0.0.1", editor.admin_port, timeout=10)
    conn.request("POST", "/api/v1", body=json.dumps({"action": "info"}), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    info = json.loads(response.read())
    conn.close()
    assert response.status == 200 and info["type"] == "local_git", info
    addresses = non_loopback_ipv4()
    if not addresses:
        pytest.skip("this machine has no IPv4 address but loopback: nothing else to connect from")
    for address in addresses:
        # the address is reachable here: a server on all addresses answers on it …
        with socket.create_server(("0.0.0.0", 0)) as control:
            with socket.create_connection((address, control.getsockname()[1]), timeout=5):
                pass
        # … and decap-server, on 127.0.0.1 only, does not
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, editor.admin_port), timeout=5).close()


BACKUP = """async () => {
    const db = await new Promise((ok, fail) => {
        const opened = indexedDB.open("localforage");
        opened.onsuccess = () => ok(opened.result);
        opened.onerror = () => fail(opened.error);
    });
    try {
        if (!db.objectStoreNames.contains("keyvaluepairs")) return null;
        const copy = await new Promise((ok) => {
            const got = db.transaction("keyvaluepairs").objectStore("keyvaluepairs").get("backup.articles");
            got.onsuccess = () => ok(got.result);
            got.onerror = () => ok(null);
        });
        return copy ? (copy.mediaFiles || []).filter((f) => f.file).map((f) => f.name) : null;
    } finally {
        db.close();
    }
}"""


def test_the_admin_page_keeps_its_content_security_policy(session, editor, photo):
    page = session.page
    session.sign_in()
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert "default-src 'self'" in policy and f"http://127.0.0.1:{editor.admin_port}" in policy
    session.open("new")
    page.get_by_label("Tiêu đề").fill("Thử chính sách an ninh nội dung")
    session.open_media()
    session.upload(photo)                        # shown as a blob: address, kept in the browser's copy
    page.get_by_text(photo.name, exact=True).wait_for()
    page.get_by_role("button", name="Lấy những cái đã chọn").click()
    page.get_by_role("button", name="Chọn hình khác").wait_for()
    session.type_body("Đoạn văn thử.")
    page.frame_locator("iframe").first.locator("img").wait_for()
    # two seconds after a change Decap keeps a copy of the unsaved article, its images read back
    # from their blob: addresses, in the browser (IndexedDB): it is there, image included
    try:
        copied = session.wait_for(lambda: page.evaluate(BACKUP), 15, "the browser's copy of the article")
    except AssertionError:
        session.check()                         # a violation of the policy would say why
        raise
    assert copied == [photo.name]
    session.open(f"entries/{EXISTING}")
    page.frame_locator("iframe").first.locator("h1").wait_for()
    session.check()
    # the listener does see a violation: a request the policy forbids …
    page.evaluate("fetch('http://127.0.0.1:9/').catch(() => null)")
    session.wait_for(lambda: session.csp, 10, "the deliberate violation to be reported")
    # … and the guard counts (and aborts) a request to another host
    with pytest.raises(Exception, match="ERR_FAILED"):
        page.goto("http://example.org/")
    assert session.external == ["http://example.org/"]


def test_stopping_serve_stops_decap_server(tmp_path):
    server = Editor(sample_repository(tmp_path / "site"))
    (pid,) = server.decap
    assert alive(pid) and listening(server.admin_port)
    left = server.stop()
    assert server.process.returncode == 0, "\n".join(server.output)
    assert left == [], f"decap-server (pid {pid}) still ran after serve --admin was stopped"
    assert not alive(pid) and not listening(server.admin_port)
