"""Safe YAML for site.yaml and front matter: no objects, no aliases, no silent duplicates."""
from __future__ import annotations

import yaml

from .speedups import yaml as speedups


class YamlError(ValueError):
    """A YAML document that cannot be read; `line` is 1-based within the document."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# libyaml's parser is ~20x faster than the pure-Python one; both build the same nodes.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR = "tag:yaml.org,2002:str"
_RESOLVE_MEMO_TEXT, _RESOLVE_MEMO_MAX = 40, 4096
_resolved: dict[tuple[str, tuple[bool, bool]], str] = {}     # (scalar, implicit) -> tag, see _Loader.resolve


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader with three changes that make front matter predictable.

    - Timestamps stay strings: dates are parsed by our own parser, which knows
      the portal's time zone and the Vietnamese forms.
    - Aliases are refused: they are never needed in front matter and allow
      "billion laughs" documents that take gigabytes to expand.
    - A key given twice is an error instead of the last one winning silently.
    """

    def resolve(self, kind, value, implicit):  # type: ignore[override]
        # libyaml asks this for the tag of every scalar, and PyYAML's answer tries its implicit
        # resolvers' regexes in Python: the same answer for the same short text (the keys, the
        # levels, the units) on every article. No path resolvers are set, so the text and
        # `implicit` decide it.
        if kind is yaml.ScalarNode and len(value) <= _RESOLVE_MEMO_TEXT:
            key = (value, implicit)
            tag = _resolved.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_resolved) < _RESOLVE_MEMO_MAX:
                    _resolved[key] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_object(self, node, deep=False):  # type: ignore[override]
        # An alias is the same node met a second time; PyYAML would share the
        # object, and a later walk over it could expand exponentially.
        if self.met(node):    # see speedups.install below
            raise _alias(node)
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen = set()
        plain = True            # every key a string (no "<<" merge key): built here, see below
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("a key must be plain text", key_node.start_mark.line + 1)
            key = key_node.value
            if key in seen:
                raise YamlError(f'key "{key}" is given twice', key_node.start_mark.line + 1)
            seen.add(key)
            plain = plain and key_node.tag == _STR
        if not plain:
            return super().construct_mapping(node, deep)
        return self.construct_strings(node, deep)


# met(node) and construct_strings(node, deep): built on PyYAML's private records of what it built
# while the installed version has them, PyYAML's own code otherwise (sitegen/speedups/yaml.py)
speedups.install(_Loader)

_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_constructor("tag:yaml.org,2002:merge", None)  # "<<:" merges need aliases anyway


def _alias(node) -> YamlError:
    return YamlError("aliases (*name) are not allowed", node.start_mark.line + 1)


def load_yaml(source: bytes | str) -> object:
    """Parse one YAML document. Raise YamlError with a short message and line."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise YamlError(f"not UTF-8 text (byte {err.start}); save the file as UTF-8") from None
    try:
        return yaml.load(source, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except YamlError:
        raise
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if isinstance(err, yaml.constructor.ConstructorError) and "tag" in str(problem):
            problem = "YAML tags that build objects (!!python/…) are not allowed"
        return _raise(problem, mark.line + 1 if mark else None)
    except yaml.YAMLError as err:
        raise YamlError(f"invalid YAML: {err}") from None
    except RecursionError:
        raise YamlError("nested too deeply") from None


def _raise(problem: str, line: int | None):
    raise YamlError(f"invalid YAML: {problem}", line)
