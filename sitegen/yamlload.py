"""Safe YAML for site.yaml and front matter: no objects, no aliases, no silent duplicates."""
from __future__ import annotations

import yaml


class YamlError(ValueError):
    """A YAML document that cannot be read; `line` is 1-based within the document."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# libyaml's parser is ~20x faster than the pure-Python one; both build the same nodes.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq"
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
        if node in self.constructed_objects or node in self.recursive_objects:
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
        # Front matter is a mapping of strings to strings and lists of strings. PyYAML builds each
        # of those through three Python calls (~1.5 µs a value, a third of reading front matter);
        # they are made here directly, recorded as construct_object records them, so an alias to
        # one of them is still refused. Anything else goes through construct_object.
        mapping = {}
        constructed = self.constructed_objects
        for key_node, value_node in node.value:
            key = self._value(key_node, constructed, deep)
            mapping[key] = self._value(value_node, constructed, deep)
        return mapping

    def _value(self, node, constructed: dict, deep: bool):
        kind = type(node)
        if kind is yaml.ScalarNode and node.tag == _STR:
            if node in constructed:
                raise _alias(node)
            constructed[node] = node.value
            return node.value
        if kind is yaml.SequenceNode and node.tag == _SEQ and node not in constructed:
            items = node.value
            if all(type(item) is yaml.ScalarNode and item.tag == _STR for item in items):
                values = [self._value(item, constructed, deep) for item in items]
                constructed[node] = values
                return values
        return self.construct_object(node, deep)


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
