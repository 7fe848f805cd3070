"""Render stage: the Jinja environment, its helpers, and pages rendered to bytes."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .config import SiteConfig
from .errors import Diagnostic
from .i18n import format_date, format_short_date
from .models import Article, Page
from .urls import Route

TEMPLATES_DIR = "templates"


@dataclass(frozen=True)
class Site:
    """What every template sees about the site: config plus build-wide facts."""

    config: SiteConfig
    assets: dict[str, str]       # "style.css" -> "assets/style.1a2b3c4d.css"
    build_time: datetime


def make_environment(root: Path, site: Site) -> jinja2.Environment:
    """Jinja with autoescape and StrictUndefined: a template typo fails the build."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / TEMPLATES_DIR),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, auto_reload=False,
    )
    config = site.config

    def url(target: Route | Article | str) -> str:
        """Root-relative URL of a route, an article or a site-relative path."""
        if isinstance(target, Article):
            target = target.route
        if isinstance(target, Route):
            return target.url(config.base_path)
        if target.startswith(("https://", "http://", "mailto:", "tel:")):
            return target
        return config.base_path + target.lstrip("/")

    def absolute_url(target: Route | Article | str) -> str:
        return config.base_url + url(target)[len(config.base_path):]

    def asset(name: str) -> str:
        if name not in site.assets:
            raise jinja2.TemplateRuntimeError(f'asset "{name}" not found in assets/')
        return config.base_path + site.assets[name]

    env.globals.update(url=url, absolute_url=absolute_url, asset=asset, site=config,
                       build_year=site.build_time.year)
    env.filters.update(
        vi_date=lambda m: format_date(m, config.tz),
        short_date=lambda m: format_short_date(m, config.tz),
        short_datetime=lambda m: format_short_date(m, config.tz, with_time=True),
        iso=lambda m: m.iso(),
        year=lambda m: (m.value.astimezone(config.tz) if m.has_time else m.value).year,
        level_name=lambda key: config.level(key).name,
        safe_html=Markup,
    )
    return env


def render_pages(env: jinja2.Environment, pages: list[Page]) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """Render every page to bytes; a template error names the template file and line."""
    output: dict[str, bytes] = {}
    problems: list[Diagnostic] = []
    cache: dict[str, jinja2.Template] = {}
    for page in pages:
        try:
            template = cache.get(page.template) or cache.setdefault(page.template, env.get_template(page.template))
            output[str(page.route.file)] = template.render(page.context).encode("utf-8")
        except jinja2.TemplateSyntaxError as err:
            problems.append(Diagnostic(f"{TEMPLATES_DIR}/{err.name or page.template}", "template", err.message or str(err),
                                       err.lineno))
            break
        except jinja2.TemplateNotFound as err:
            problems.append(Diagnostic(f"{TEMPLATES_DIR}/{err.name}", "template", "not found"))
            break
        except Exception as err:  # noqa: BLE001 - any template failure must be a clear line, not a traceback
            where, line = _template_frame(err, page.template)
            problems.append(Diagnostic(where, "template", f"{type(err).__name__}: {err} (rendering {page.source})", line))
            break
    return output, problems


def _template_frame(err: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line where a runtime error happened, from the traceback."""
    where, line = f"{TEMPLATES_DIR}/{fallback}", None
    tb = err.__traceback__ or sys.exc_info()[2]
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt")) and f"{TEMPLATES_DIR}" in name:
            where, line = f"{TEMPLATES_DIR}/{Path(name).name}", tb.tb_lineno
        tb = tb.tb_next
    return where, line
