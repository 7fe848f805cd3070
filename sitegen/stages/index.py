"""Index stage: what each article's search document is filed under; the index is sitegen/search.py."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..config import SiteConfig
from ..models import Article, Page
from ..search import Filing
from ..taxonomy import name_key

SEARCH_TEMPLATE = "search.html"


def filings(config: SiteConfig, articles: Sequence[Article], taxonomy) -> dict[str, Filing]:
    """Under which names each article is filed (its search document's filters): the names the
    listings show, which depend on every article (the spelling most articles use wins)."""
    levels = {level.key: level.name for level in config.levels}
    unit_of = taxonomy.unit_of
    filings = {}
    for article in articles:
        unit = unit_of.get(name_key(article.unit)) if article.unit else None
        filings[article.source] = Filing(levels.get(article.level, article.level), unit.name if unit else "",
                                         tuple(t.name for t in taxonomy.article_authors(article)),
                                         tuple(t.name for t in taxonomy.article_topics(article)))
    return filings


def with_index_files(pages: list[Page], files: Sequence[str]) -> list[Page]:
    """`pages`, with the search page's context naming the index files it loads first (paths
    under pagefind/; its <head> asks for them while the page loads). The other pages are the
    same objects."""
    return [replace(page, content={**page.context, "index_files": tuple(files)})
            if page.template == SEARCH_TEMPLATE else page for page in pages]
