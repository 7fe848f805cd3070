"""Index stage: what each article's search document is filed under; the index is sitegen/search.py."""
from __future__ import annotations

from typing import Sequence

from ..config import SiteConfig
from ..models import Article
from ..search import Filing
from ..taxonomy import name_key


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
