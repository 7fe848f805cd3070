#!/usr/bin/env python3
"""Screenshots of the web editor (/admin/) for the editors' guide, docs/huong-dan-bien-tap.md.

    python scripts/screenshots_admin.py

Copies the sample portal into a temporary git repository, runs `build.py serve --admin` on it
(decap-server included, as an editor's computer would not: the local backend stands in for the
git host's sign-in) and photographs with Debian's Chromium, in Vietnamese, at 1280×800 and, where
the editor is usable on a telephone, 360×800: the sign-in page, the list of articles, a new
article being written (the form and the preview pane beside it), the media dialog and the
"Công bố" menu. Nothing is saved: the temporary copy is removed at the end.

The review workflow ("duyệt bài": Bản nháp → Chờ duyệt → Sẵn sàng → Đăng) is not photographed:
Decap CMS only offers it with a git host (GitLab, GitHub…), not with `serve --admin`.
Needs what the browser tests need: node and npm ci (node_modules), git, /usr/bin/chromium; and
Debian's chromium-l10n, without which Chromium writes dates in the date box the American way.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.test_admin_browser import ELSEWHERE, Editor, sample_repository  # noqa: E402

OUT = REPO / "docs" / "screenshots"
HEIGHT = 800
TITLE = "Đại hội Công đoàn cơ sở Trường THPT Lê Quý Đôn nhiệm kỳ 2026–2031"
BODY = ("Sáng 1/6, Công đoàn cơ sở Trường THPT Lê Quý Đôn tổ chức Đại hội lần thứ V, nhiệm kỳ 2026–2031. "
        "Đại hội bầu Ban Chấp hành gồm 7 đồng chí.\n\n"
        "## Kết quả nhiệm kỳ 2021–2026\n\n"
        "| Chỉ tiêu | Kết quả |\n|---|---|\n| Phát triển đoàn viên | 30 |\n| Sáng kiến được công nhận | 12 |\n")
PHOTO = REPO / "content" / "2021" / "06" / "anh" / "lanh-dao-phat-bieu-chi-dao-tai-hoi-nghi.svg"


def shoot(page, name: str, width: int) -> None:
    target = OUT / f"bien-tap-{name}-{width}.png"
    page.screenshot(path=str(target))
    print(target.relative_to(REPO))


def photo(browser, folder: Path) -> Path:
    """A photo-like PNG to upload: the sample's hall illustration, drawn by Chromium."""
    page = browser.new_page(viewport={"width": 960, "height": 540})
    page.goto(PHOTO.as_uri())
    path = folder / "dai-hoi-bieu-quyet.png"
    page.screenshot(path=str(path))
    page.close()
    return path


def sign_in(page, base: str) -> None:
    page.goto(base + "/admin/")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/admin/#/collections/articles")
    page.get_by_text("Thêm bài viết", exact=True).wait_for()


def fill_form(page, base: str) -> None:
    """A new article: title, date, level, author, unit, topics, summary."""
    page.goto(base + "/admin/#/collections/articles/new")
    page.get_by_label("Tiêu đề").fill(TITLE)
    page.locator('input[type="datetime-local"]').first.fill("2026-06-01T07:30")
    page.get_by_label("Cấp công đoàn").click()
    page.get_by_role("option", name="Cơ sở", exact=True).click()
    for label, values in (("Tác giả", ["Hải Yến"]), ("Chủ đề", ["Thi đua", "Đại hội nhiệm kỳ"])):
        box = page.get_by_label(label)
        for value in values:
            box.fill(value)
            box.press("Enter")
    page.get_by_label("Đơn vị").fill("Công đoàn cơ sở Trường THPT Lê Quý Đôn")
    page.get_by_label("Tóm tắt").fill("Đại hội bầu Ban Chấp hành nhiệm kỳ 2026–2031 gồm 7 đồng chí.")
    page.mouse.click(5, 300)                    # (leave the last field: its outline off the picture)


def scroll_to(page, label: str) -> None:
    """Scroll the form to the field labelled `label` (at the top of the pane)."""
    page.locator("label", has_text=label).first.evaluate("e => e.scrollIntoView({block: 'start'})")


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        editor = Editor(sample_repository(Path(tmp) / "site"))
        # in Vietnamese: the date box as on the editors' computers (dd/mm/yyyy, 24 hours)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=vi"],
                                    env={**os.environ, "LANG": "vi_VN.UTF-8", "LANGUAGE": "vi"})
        try:
            image = photo(browser, Path(tmp))
            for width in (1280, 360):
                context = browser.new_context(viewport={"width": width, "height": HEIGHT}, locale="vi-VN",
                                              timezone_id="Asia/Ho_Chi_Minh", device_scale_factor=1)
                context.route(ELSEWHERE, lambda route: route.abort())
                page = context.new_page()
                page.goto(editor.base + "/admin/")
                page.get_by_role("button", name="Đăng nhập").wait_for()
                shoot(page, "dang-nhap", width)
                sign_in(page, editor.base)
                page.wait_for_timeout(800)              # (the loading bar gone)
                shoot(page, "danh-sach", width)
                fill_form(page, editor.base)
                page.locator("label", has_text="Tiêu đề").first.evaluate(
                    "e => { for (let n = e.parentElement; n; n = n.parentElement) n.scrollTop = 0; }")
                page.wait_for_timeout(500)
                shoot(page, "bai-moi", width)
                if width == 1280:
                    # the image, its description and caption, the body; the preview beside them
                    page.get_by_role("button", name="Chọn một hình").click()
                    page.get_by_role("button", name="Tải lên").wait_for()
                    page.locator('input[type="file"]').set_input_files(str(image))
                    page.get_by_text(image.name, exact=True).wait_for()
                    page.wait_for_timeout(500)
                    shoot(page, "anh", width)
                    page.get_by_role("button", name="Lấy những cái đã chọn").click()
                    page.get_by_role("button", name="Chọn hình khác").wait_for()
                    page.get_by_label("Mô tả ảnh").fill("Đại biểu biểu quyết tại đại hội")
                    page.get_by_label("Chú thích ảnh").fill("Đại biểu biểu quyết thông qua nghị quyết đại hội.")
                    page.locator('[data-slate-editor="true"]').last.click()
                    page.keyboard.type(BODY)
                    preview = page.frame_locator("iframe").first
                    preview.locator("table").wait_for()
                    scroll_to(page, "Ảnh đầu bài")
                    preview.locator("figure").evaluate("e => e.scrollIntoView({block: 'start'})")
                    page.mouse.click(5, 300)
                    page.wait_for_timeout(500)
                    shoot(page, "anh-noi-dung", width)
                    page.get_by_role("button", name="Công bố", exact=True).click()
                    page.get_by_role("menuitem", name="Công bố ngay").wait_for()
                    page.wait_for_timeout(300)
                    shoot(page, "cong-bo", width)
                    page.keyboard.press("Escape")
                context.close()
        finally:
            browser.close()
            editor.stop()


if __name__ == "__main__":
    main()
