"""Python-Markdown as it comes: the portal's configuration with its gates taken out, to compare
the gated processors' output with."""
from __future__ import annotations

from markdown.treeprocessors import InlineProcessor
from markdown.util import Registry

from sitegen.markdown import make_markdown
from sitegen.speedups.markdown import _GatedAttrList, _GatedBlock, _GatedHtmlBlock, _GatedUnescape


def stock_markdown(glossary: dict[str, str] | None = None):
    """make_markdown(glossary) with Python-Markdown's own inline processor, block processors,
    raw-HTML preprocessor, attr_list and unescape tree processors, and is_block_level."""
    md = make_markdown(glossary)
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    for registry in (md.parser.blockprocessors, md.preprocessors, md.treeprocessors):
        for item in list(registry._priority):
            processor = registry[item.name]
            if isinstance(processor, (_GatedBlock, _GatedHtmlBlock, _GatedAttrList, _GatedUnescape)):
                registry.register(processor.inner, item.name, item.priority)
    del md.is_block_level       # the instance's memo: Markdown's own method again
    md.parser.blockprocessors.__class__ = Registry
    return md
