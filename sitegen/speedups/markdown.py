"""Python-Markdown speed-ups that rely on its private internals, each used only while they exist.

Checked against Python-Markdown 3.11.3 (the version in .venv). Private names relied on:

- ``InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)``: the name-mangled
  loop over the inline patterns, overridden by _GatedInline to skip patterns that cannot match;
- ``InlineProcessor._InlineProcessor__applyPattern(self, pattern, data, patternIndex, startIndex)``:
  called by that loop, as the stock one calls it;
- ``Registry._priority``: a registry's (name, priority) items, sorted by ``_sort``; read to know
  the patterns' names in order and to register a wrapper at the priority of what it wraps;
- the methods of ``Registry`` (``register`` and ``deregister`` the only ones that change it): the
  block parser's registry has its ``__class__`` swapped to _ListedRegistry, which keeps its list
  until one of those two is called;
- ``Markdown.lines``: the article after the preprocessors, set by ``Markdown.convert``; the
  attr_list and unescape gates look for "{" and "\\" in it;
- ``Markdown.is_block_level``: replaced on the instance by a memo, the answer for a tag never
  changing once the extensions are loaded.

install(md) applies each speed-up whose names are there (see available()); one whose names are
missing, renamed or of another signature is left out and Python-Markdown's own code runs, with
the same output. in_effect(md) says which are applied; tests/test_speedups.py holds both.
"""
from __future__ import annotations

import inspect
import xml.etree.ElementTree as etree

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.inlinepatterns import InlineProcessor as InlinePattern
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor, UnescapeTreeprocessor
from markdown.util import AtomicString, Registry

# Python-Markdown tries every inline pattern, one regex search after another, on every piece of
# text: ~15 searches per paragraph, most of them for characters the text does not contain. Each
# pattern below can only match where one of its trigger strings occurs, so when none occurs the
# search is skipped: its result (no match) is known. A gate applies only while the pattern's regex
# is exactly the one it was written for; a pattern it does not know is always searched.
_INLINE_GATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "backtick": (r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)", ("`",)),
    "escape": (r"\\(.)", ("\\",)),
    "footnote": (r"\[\^([^\]]*)\]", ("[^",)),
    "reference": (r"(?<!\!)\[", ("[",)),
    "link": (r"(?<!\!)\[", ("[",)),
    "image_link": (r"\!\[", ("![",)),
    "image_reference": (r"\!\[", ("![",)),
    "short_reference": (r"(?<!\!)\[", ("[",)),
    "short_image_ref": (r"\!\[", ("![",)),
    "autolink": (r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>", ("<",)),
    "automail": (r"<([^<> !]+@[^@<> ]+)>", ("<",)),
    "linebreak": (r"  \n", ("  \n",)),
    "html": (r'''(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>]++))?+)*+\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)''', ("<",)),
    "entity": (r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)", ("&",)),
    "em_strong": (r"\*|_", ("*", "_")),
}


def _gate(name: str, pattern) -> tuple[str, str] | None:
    """Two strings one of which must occur for `pattern` to match (the same one twice when there
    is one), or None when the pattern is not known."""
    known = _INLINE_GATES.get(name)
    regex = getattr(getattr(pattern, "compiled_re", None), "pattern", None)
    if known is None or regex != known[0] or not isinstance(pattern, InlinePattern):
        return None
    triggers = known[1]
    return (triggers[0], triggers[-1]) if len(triggers) <= 2 else None


class _GatedInline(InlineProcessor):
    """Python-Markdown's inline processor, skipping the patterns that cannot match a text.

    Same output as the stock processor (tested on every kind of inline Markdown); ~0.3 ms less an
    article. The loop is the stock `__handleInline` with the gate added, over a plain list rather
    than the Registry, whose indexing costs a sort check each time.
    """

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        patterns = list(self.inlinePatterns)
        if patterns != getattr(self, "_patterns", None):    # the gates once per set of patterns, not per article
            names = [item.name for item in self.inlinePatterns._priority]     # sorted by the Registry
            self._gates = [_gate(name, pattern) for name, pattern in zip(names, patterns)]
            self._patterns = patterns
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802,N803
        if isinstance(data, AtomicString):
            return data
        patterns, gates, start = self._patterns, self._gates, 0
        count = len(patterns)
        while patternIndex < count:
            gate = gates[patternIndex]
            if gate is not None and gate[0] not in data and gate[1] not in data:
                patternIndex, start = patternIndex + 1, 0       # what a search that found nothing returns
                continue
            data, matched, start = self._InlineProcessor__applyPattern(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


# The block parser likewise asks every block processor, in turn, whether a block is its kind;
# six of them answer by searching the block with a regex (a heading of either kind, a rule, a
# quote, a link or footnote definition), and a paragraph of prose is searched six times for nothing.
# Each can only match where one of its trigger strings occurs. Same rule as the inline gates:
# a gate applies only while the processor's regex is exactly the one it was written for.
_BLOCK_GATES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name: (the attribute holding the regex its test searches with, that regex, triggers)
    "hashheader": ("RE", r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)", ("#",)),
    "setextheader": ("RE", r"^.*?\n(?:=+|-+)[ ]*(\n|$)", ("\n=", "\n-")),
    "hr": ("SEARCH_RE", r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))"
                        r"(?P=atomicgroup)[ ]*$", ("-", "_", "*")),
    "quote": ("RE", r"(^|\n)[ ]{0,3}>[ ]?(.*)", (">",)),
    "reference": ("RE", r"^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?"
                        r'((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$', ("]:",)),
    "footnote": ("RE", r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$", ("[^",)),
}


class _GatedBlock(BlockProcessor):
    """A block processor asked only about blocks that contain one of its trigger strings; for
    any other block the answer its own test would give is known: not mine."""

    def __init__(self, inner: BlockProcessor, triggers: tuple[str, ...]):
        super().__init__(inner.parser)
        self.inner, self.triggers = inner, triggers
        self.run = inner.run        # type: ignore[method-assign]  # the processor's own, with its state

    def test(self, parent: etree.Element, block: str) -> bool:
        for trigger in self.triggers:
            if trigger in block:
                return self.inner.test(parent, block)
        return False


class _GatedHtmlBlock(Preprocessor):
    """Python-Markdown's raw-HTML preprocessor, run only on text that has a "<" or an "&".

    It feeds the whole article to an HTML parser to take raw HTML blocks out; text with neither
    character holds no tag and no entity, and comes back unchanged (the parser sees one run of
    data). Most articles have neither, and the parser's character-by-character search for them
    was about a twentieth of the Markdown stage."""

    def __init__(self, inner: HtmlBlockPreprocessor):
        super().__init__(inner.md)
        self.inner = inner

    def run(self, lines: list[str]) -> list[str]:
        for line in lines:
            if "<" in line or "&" in line:
                return self.inner.run(lines)
        return lines


class _GatedUnescape(UnescapeTreeprocessor):
    """Python-Markdown's unescape tree processor, run only on articles with a backslash.

    It puts back the characters that backslash escapes (a backslash before "*") hid from the
    inline patterns, by a regex over every text, tail and attribute of the tree; those markers
    (STX, digits, ETX) are made only from a backslash in the text, and the preprocessors remove
    any STX or ETX the article itself holds. A subclass, not a wrapper: inline patterns read its RE."""

    def __init__(self, inner: UnescapeTreeprocessor):
        super().__init__(inner.md)
        self.inner = inner

    def run(self, root: etree.Element) -> None:
        if _any_line_has(self.md.lines, "\\"):
            super().run(root)


class _GatedAttrList(Treeprocessor):
    """The attr_list extension's tree processor, run only on articles whose text has a "{".

    It visits every element to look for a trailing `{: …}`; an article without "{" in its text
    (after the preprocessors: what the tree's text comes from) has none to find."""

    def __init__(self, inner: AttrListTreeprocessor):
        super().__init__(inner.md)
        self.inner = inner

    def run(self, root: etree.Element) -> None:
        if _any_line_has(self.md.lines, "{"):
            self.inner.run(root)


def _any_line_has(lines: list[str], text: str) -> bool:
    """Whether `text` occurs in one of the lines (the article after the preprocessors)."""
    for line in lines:
        if text in line:
            return True
    return False


class _ListedRegistry(Registry):
    """Python-Markdown's Registry, listing its items once until one is registered or removed.

    The block parser goes through the block processors for every block of an article, and the
    Registry makes a new sorted list of them each time (~12 lists an article)."""

    _listed: list | None = None

    def __iter__(self):
        if self._listed is None:
            self._listed = list(super().__iter__())
        return iter(self._listed)

    def register(self, item, name: str, priority: float) -> None:
        self._listed = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self._listed = None
        super().deregister(name, strict)


def _add_gates(md: markdown.Markdown, with_lines: bool) -> None:
    """Wrap each block processor whose regex is known in a _GatedBlock and the raw-HTML
    preprocessor in a _GatedHtmlBlock; with `with_lines` (md.lines there to read), attr_list's
    tree processor in a _GatedAttrList and the unescape one in a _GatedUnescape. Each at its own
    priority."""
    blocks = md.parser.blockprocessors
    for name, (attribute, regex, triggers) in _BLOCK_GATES.items():
        if name in blocks and getattr(getattr(blocks[name], attribute, None), "pattern", None) == regex:
            _wrap(blocks, name, type(blocks[name]), lambda inner, t=triggers: _GatedBlock(inner, t))
    _wrap(md.preprocessors, "html_block", HtmlBlockPreprocessor, _GatedHtmlBlock)
    if with_lines:
        _wrap(md.treeprocessors, "attr_list", AttrListTreeprocessor, _GatedAttrList)
        _wrap(md.treeprocessors, "unescape", UnescapeTreeprocessor, _GatedUnescape)


def _wrap(registry, name: str, kind: type, gate) -> None:
    """Replace the processor `name` by gate(processor), at the same priority, when it is
    exactly of `kind` (not an extension's subclass, nor already wrapped)."""
    for item in registry._priority:
        if item.name == name and type(registry[name]) is kind:
            registry.register(gate(registry[name]), name, item.priority)
            return


# What each speed-up needs: the entries of available() that must all be true.
SPEEDUPS: dict[str, tuple[str, ...]] = {
    "inline_gates": ("InlineProcessor.__handleInline", "InlineProcessor.__applyPattern", "Registry._priority"),
    "processor_gates": ("Registry._priority",),
    "line_gates": ("Registry._priority", "Markdown.lines"),
    "listed_registry": ("Registry methods",),
    "block_level_memo": ("Markdown.is_block_level",),
}
# Registry's methods in the version _ListedRegistry was written for: a new one might change the
# registry without going through register/deregister, leaving the kept list stale.
_REGISTRY_METHODS = ("__contains__", "__getitem__", "__init__", "__iter__", "__len__", "__repr__",
                     "_sort", "deregister", "get_index_for_name", "register")


def _parameters(owner: type, name: str) -> tuple[str, ...] | None:
    """The parameter names of the method `name` of `owner`, or None when it has none such."""
    method = getattr(owner, name, None)
    try:
        return tuple(inspect.signature(method).parameters) if callable(method) else None
    except (TypeError, ValueError):
        return None


def _uses(function, name: str) -> bool:
    """Whether the code of `function` reads or sets an attribute or global called `name`."""
    return name in getattr(getattr(function, "__code__", None), "co_names", ())


def available() -> dict[str, bool]:
    """For each private name of Python-Markdown relied on here, whether the installed version has
    it, used by its own code, with the parameters this module calls it with."""
    return {
        "InlineProcessor.__handleInline":
            _parameters(InlineProcessor, "_InlineProcessor__handleInline") == ("self", "data", "patternIndex"),
        "InlineProcessor.__applyPattern":
            _parameters(InlineProcessor, "_InlineProcessor__applyPattern")
            == ("self", "pattern", "data", "patternIndex", "startIndex"),
        "Registry._priority": _uses(Registry.register, "_priority") and isinstance(getattr(Registry(), "_priority", None), list),
        "Registry methods": tuple(sorted(n for n, v in vars(Registry).items() if callable(v))) == _REGISTRY_METHODS,
        "Markdown.lines": _uses(markdown.Markdown.convert, "lines"),
        "Markdown.is_block_level": callable(getattr(markdown.Markdown, "is_block_level", None)),
    }


def _ready() -> dict[str, bool]:
    """Whether each speed-up can be applied with the installed Python-Markdown."""
    names = available()
    return {speedup: all(names[name] for name in needs) for speedup, needs in SPEEDUPS.items()}


def install(md: markdown.Markdown) -> None:
    """Apply to `md` (its extensions loaded) every speed-up whose private names the installed
    Python-Markdown has; leave Python-Markdown's own code for the others."""
    ready = _ready()
    if ready["processor_gates"]:
        _add_gates(md, with_lines=ready["line_gates"])
    if ready["inline_gates"] and type(md.treeprocessors["inline"]) is InlineProcessor:
        _wrap(md.treeprocessors, "inline", InlineProcessor, lambda stock: _GatedInline(md))
    if ready["listed_registry"] and type(md.parser.blockprocessors) is Registry:
        md.parser.blockprocessors.__class__ = _ListedRegistry
    if ready["block_level_memo"]:
        md.is_block_level = _block_level_memo(md.is_block_level)  # type: ignore[method-assign]


def _block_level_memo(stock):
    """Whether a tag is a block element is asked ~25 times an article (block parser, prettify):
    Python-Markdown lowercases the tag and searches a list each time. The answer for a tag
    never changes once the extensions are loaded."""
    levels: dict = {}

    def is_block_level(tag) -> bool:
        found = levels.get(tag)
        if found is None:
            found = levels[tag] = stock(tag)
        return found

    is_block_level.__wrapped__ = stock     # type: ignore[attr-defined]  # how in_effect knows it
    return is_block_level


def in_effect(md: markdown.Markdown) -> dict[str, bool]:
    """For each speed-up, whether its private names exist and it is applied to `md` (an instance
    made by sitegen.markdown.make_markdown, as the build makes them; passed in, because that
    module imports this one)."""
    ready = _ready()
    blocks = md.parser.blockprocessors
    return {
        "inline_gates": ready["inline_gates"] and isinstance(md.treeprocessors["inline"], _GatedInline),
        "processor_gates": ready["processor_gates"] and isinstance(md.preprocessors["html_block"], _GatedHtmlBlock)
        and all(isinstance(blocks[name], _GatedBlock) for name in _BLOCK_GATES if name in blocks),
        "line_gates": ready["line_gates"] and isinstance(md.treeprocessors["attr_list"], _GatedAttrList)
        and isinstance(md.treeprocessors["unescape"], _GatedUnescape),
        "listed_registry": ready["listed_registry"] and type(blocks) is _ListedRegistry,
        "block_level_memo": ready["block_level_memo"] and hasattr(md.__dict__.get("is_block_level"), "__wrapped__"),
    }
