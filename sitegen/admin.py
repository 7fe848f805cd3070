"""The web editor at /admin/: Decap CMS's files, its page, and its config.yml made from site.yaml.

Everything Decap needs to know about the portal comes from site.yaml and the articles, so a new
level, a topic alias or a new unit needs no second edit: the levels (a select with their
Vietnamese names), the units, authors and topics already in use (offered as suggestions), where
an article's file goes (content/YYYY/MM/<slug>.md, the month in the portal's time zone, the slug
made as the generator makes it: see assets/admin/portal-admin.js) and the git host it saves to.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit

import yaml

from .config import ADMIN_BACKENDS, AdminConfig, SiteConfig

ADMIN_ROOT = "admin/"
DECAP_DIST = Path("node_modules") / "decap-cms" / "dist"
JS_YAML = Path("node_modules") / "js-yaml" / "dist" / "browser" / "js-yaml.umd.min.js"
FORMAT = "portal-frontmatter"       # the article format portal-admin.js registers (the canonical style)
DATE_FORMAT = "YYYY-MM-DD HH:mm"    # what the date widget writes: articlefile.format_date's form


# serve --admin on a site whose site.yaml has no admin: block: only the local backend is used
LOCAL_ONLY = AdminConfig("gitlab", "local/portal", app_id="local", review=False)


@dataclass(frozen=True)
class LocalBackend:
    """`serve --admin`: decap-server on this machine, saving into the working copy."""

    port: int
    branch: str


def admin_files(root: Path) -> tuple[dict[str, Path], str]:
    """Decap CMS's files to publish under admin/ (from node_modules, as npm ci installed them):
    the bundle, its numbered chunks and its WebAssembly, not the source maps; and js-yaml.
    Returns ({} and why) when they are not installed."""
    dist = root / DECAP_DIST
    if not (dist / "decap-cms.js").is_file() or not (root / JS_YAML).is_file():
        return {}, ("the web editor (/admin/) was left out: its npm packages are not installed "
                    "(run npm ci, or bash scripts/install.sh, with Node.js and npm)")
    files = {f"{ADMIN_ROOT}{p.name}": p for p in sorted(dist.iterdir())
             if p.name == "decap-cms.js" or p.name.endswith((".decap-cms.js", ".wasm"))}
    files[f"{ADMIN_ROOT}js-yaml.min.js"] = root / JS_YAML
    return files, ""


def _backend(admin: AdminConfig) -> dict:
    default_base, api, _ = ADMIN_BACKENDS[admin.backend]
    base = admin.base_url or default_base
    backend: dict = {"name": admin.backend, "repo": admin.repo, "branch": admin.branch}
    if admin.backend in ("gitlab", "gitea", "forgejo"):
        backend.update(base_url=base, api_root=admin.api_root or base + api, app_id=admin.app_id)
        if admin.backend == "gitlab":
            backend["auth_type"] = "pkce"
    else:
        backend["base_url"] = base
        backend["auth_endpoint"] = admin.auth_endpoint or "auth"
        if admin.api_root:
            backend["api_root"] = admin.api_root
    backend["commit_messages"] = {
        "create": "Thêm bài {{slug}} (trình biên tập web)",
        "update": "Sửa bài {{slug}} (trình biên tập web)",
        "delete": "Xoá bài {{slug}} (trình biên tập web)",
        "uploadMedia": "Tải ảnh lên {{path}} (trình biên tập web)",
        "deleteMedia": "Xoá ảnh {{path}} (trình biên tập web)",
    }
    return backend


def origins(admin: AdminConfig, local: LocalBackend | None = None) -> list[str]:
    """The addresses the editor's page talks to besides the site: the git host's API (and its
    login page), or decap-server on this machine."""
    if local is not None:
        return [f"http://127.0.0.1:{local.port}", f"http://localhost:{local.port}"]
    backend = _backend(admin)
    found = []
    for url in (backend.get("api_root"), backend.get("base_url"), "https://api.github.com"
                if admin.backend == "github" and not admin.api_root else None):
        if url:
            parts = urlsplit(url)
            found.append(f"{parts.scheme}://{parts.netloc}")
    return list(dict.fromkeys(found))


def content_security_policy(admin: AdminConfig, local: LocalBackend | None = None) -> str:
    """The admin page's policy: scripts from the site only; data from the site and the git host.

    Decap styles its interface with inline styles (emotion) and shows uploaded images as blob:
    addresses before they are saved, which it reads back with fetch() to keep a copy of an unsaved
    article and its images in the browser (connect-src blob:: without it, no copy is kept once an
    image is chosen); 'wasm-unsafe-eval' lets its WebAssembly start, and 'unsafe-eval' lets ajv
    compile the checks of config.yml into functions (Decap cannot start without it). Neither lets
    a script come from anywhere but the site.
    """
    others = " ".join(origins(admin, local))
    return ("default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {others}; media-src 'self' blob:; connect-src 'self' blob: {others}; "
            "font-src 'self' data:; worker-src 'self' blob:; frame-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'").replace("  ", " ")


def _field(name: str, label: str, widget: str, hint: str = "", required: bool = False, **more) -> dict:
    field = {"name": name, "label": label, "widget": widget, "required": required}
    if hint:
        field["hint"] = hint
    field.update(more)
    return field


def article_fields(config: SiteConfig, units: Sequence[str], authors: Sequence[str],
                   topics: Sequence[str]) -> list[dict]:
    """Every field of an article's front matter, in the canonical order, then the body."""
    date = dict(format=DATE_FORMAT, date_format="DD/MM/YYYY", time_format="HH:mm", picker_utc=False)
    return [
        _field("title", "Tiêu đề", "string", "Tiêu đề bài viết. Địa chỉ và tên tệp của bài được tạo từ tiêu đề.",
               required=True),
        _field("date", "Ngày đăng", "datetime", "Giờ Việt Nam. Ngày ở tương lai: bài được hẹn giờ, tự đăng khi "
               "đến giờ.", required=True, **date),
        _field("level", "Cấp công đoàn", "select", required=True,
               options=[{"label": lv.name, "value": lv.key} for lv in config.levels]),
        _field("author", "Tác giả", "portal-names", "Gõ tên, hoặc chọn tên đã có. Nhiều tác giả: thêm từng người.",
               suggestions=list(authors)),
        _field("unit", "Đơn vị", "portal-suggest", "Đơn vị đưa tin; chọn đơn vị đã có hoặc gõ tên mới.",
               suggestions=list(units)),
        _field("topics", "Chủ đề", "portal-names", "Chọn chủ đề đã có hoặc gõ chủ đề mới rồi nhấn Enter.",
               suggestions=list(topics)),
        _field("summary", "Tóm tắt", "text", "Hiện ở trang chủ và khi chia sẻ. Để trống: lấy đoạn đầu của bài."),
        _field("image", "Ảnh đầu bài", "image", "Ảnh được lưu cạnh bài viết, trong thư mục anh/.",
               choose_url=False),
        _field("image_alt", "Mô tả ảnh", "portal-alt", "Bắt buộc khi có ảnh: tả ảnh cho người không xem được ảnh."),
        _field("image_caption", "Chú thích ảnh", "string", "Dòng chú thích hiện dưới ảnh."),
        _field("slug", "Đường dẫn riêng", "string", "Thường để trống: đường dẫn được tạo từ tiêu đề. Chỉ dùng chữ "
               "thường không dấu, số và dấu gạch ngang.", pattern=["^[a-z0-9]+(-[a-z0-9]+)*$",
                                                                    "Chỉ chữ thường không dấu, số và dấu -"]),
        _field("updated", "Ngày cập nhật", "datetime", "Khi sửa nội dung quan trọng của bài đã đăng.", **date),
        _field("expires", "Ngày hết hạn", "datetime", "Sau ngày này bài rời các danh sách; trang bài vẫn còn.",
               **date),
        _field("source", "Nguồn nhập", "hidden"),
        _field("aliases", "Địa chỉ cũ", "list", "Đường dẫn cũ của bài trên cổng thông tin cũ, ví dụ "
               "/tin-tuc/123.html: vẫn mở được bài.", allow_add=True, field={"name": "alias", "label": "Địa chỉ",
                                                                            "widget": "string"}),
        _field("draft", "Bản nháp", "boolean", "Bật: bài chưa được đăng lên trang.", default=False),
        _field("body", "Nội dung", "markdown", "Viết như trong hướng dẫn biên tập: đoạn văn cách nhau một dòng "
               "trống; ảnh đứng riêng một đoạn, chú thích trong ngoặc kép.", required=True,
               modes=["raw", "rich_text"], sanitize_preview=True),
    ]


def decap_config(config: SiteConfig, units: Sequence[str], authors: Sequence[str], topics: Sequence[str],
                 local: LocalBackend | None = None, logo: str = "") -> dict:
    """Decap CMS's configuration (written as admin/config.yml)."""
    admin = config.admin
    assert admin is not None
    backend = _backend(admin)
    data: dict = {"backend": backend, "locale": "vi", "site_url": config.base_url, "display_url": config.base_url,
                  "show_preview_links": True, "search": True}
    if logo:
        data["logo_url"] = logo         # the portal's logo on the sign-in page, not Decap's
    if local is not None:
        # decap-server on this machine: saves into the working copy on its current branch, each
        # save a commit; without the review workflow, which would check branches out in it
        backend["branch"] = local.branch
        data["local_backend"] = {"url": f"http://127.0.0.1:{local.port}/api/v1",
                                 "allowed_hosts": ["127.0.0.1", "localhost"]}
    elif admin.review:
        data["publish_mode"] = "editorial_workflow"
    data["media_folder"] = "content/media"      # Decap wants one; the articles' own folders are below
    data["public_folder"] = "/media"
    data["slug"] = {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"}
    data["collections"] = [{
        "name": "articles", "label": "Bài viết", "label_singular": "bài viết",
        "description": "Bài viết của bản tin. Mỗi lần lưu là một lần ghi (commit) vào kho git; trang được xây "
                       "dựng lại sau mỗi lần đẩy lên.",
        "folder": "content", "create": True, "delete": True, "extension": "md", "format": FORMAT,
        # {{year}} and {{month}} would come from the date in UTC: an article of 1 June 05:00
        # (+07:00) would go under 05/; and Decap rewrites a path's template before reading it
        # (quotes removed, "." made "-"), so neither a date('YYYY') filter nor "fields." works
        # there. The date field holds the local time as written; portal-admin.js puts its year
        # and month in portal_year and portal_month before saving (and the slug, made as the
        # generator makes it, in portal_slug); none of the three is written to the file.
        "path": "{{portal_year}}/{{portal_month}}/{{slug}}",
        "slug": "{{fields.portal_slug}}",
        "identifier_field": "title",
        "summary": "{{title}} — {{fields.date | date('DD/MM/YYYY')}}",
        "sortable_fields": ["date", "title"],
        "view_filters": [{"label": lv.name, "field": "level", "pattern": f"^{lv.key}$"} for lv in config.levels]
        + [{"label": "Bản nháp", "field": "draft", "pattern": True}],
        "media_folder": "anh", "public_folder": "anh",
        "preview_path": config.permalink.replace("{year}", "{{fields.portal_year}}")
        .replace("{month}", "{{fields.portal_month}}").replace("{day}", "{{fields.portal_day}}")
        .replace("{slug}", "{{fields.portal_slug}}"),
        "fields": article_fields(config, units, authors, topics),
    }]
    return data


def config_text(data: dict) -> str:
    """config.yml: the configuration as YAML, with a line saying where it comes from."""
    head = ("# Written by build.py from site.yaml (admin:, levels) and the articles; do not edit it here:\n"
            "# edit site.yaml. Decap CMS reads it: https://decapcms.org/docs/configuration-options/\n")
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def admin_pages(config: SiteConfig, units: Sequence[str], authors: Sequence[str], topics: Sequence[str],
                local: LocalBackend | None = None, logo: str = "") -> list:
    """The editor's page and its config.yml, as pages of the site (rendered from templates/admin/)."""
    from markupsafe import Markup

    from .models import Page
    from .urls import route
    assert config.admin is not None
    text = config_text(decap_config(config, units, authors, topics, local, logo))
    return [Page(route(ADMIN_ROOT), "admin/index.html",
                 {"csp": content_security_policy(config.admin, local), "local": local is not None},
                 "web editor"),
            Page(route(ADMIN_ROOT + "config.yml"), "admin/config.yml", {"text": Markup(text)},
                 "web editor configuration")]
