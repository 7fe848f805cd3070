"""PyYAML speed-ups that rely on its private internals, each used only while they exist.

Checked against PyYAML 6.0.3 (the version in .venv; libyaml's CSafeLoader). Private names
relied on:

- ``BaseConstructor.constructed_objects``: the dict, node -> object, in which construct_object
  records every object it built; front matter's strings and lists of strings are built here
  directly (a third of reading front matter) and recorded in it as construct_object would;
- ``BaseConstructor.recursive_objects``: the nodes construct_object is building.

Both are read to refuse aliases: an alias is a node met a second time, recorded in one of them.

install(loader) gives sitegen's loader class either the direct methods below or, when the
installed PyYAML lacks those names (or its construct_object no longer uses them), stock ones:
mappings built by PyYAML, and aliases refused by a set of nodes of our own. in_effect() says
which are used; tests/test_speedups.py holds both.
"""
from __future__ import annotations

import yaml
from yaml.constructor import BaseConstructor, SafeConstructor

PRIVATE = ("constructed_objects", "recursive_objects")
_STR, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq"


def available(loader: type | None = None) -> dict[str, bool]:
    """For each private name, whether a new `loader` (by default PyYAML's CSafeLoader, or its
    SafeLoader) holds a dict under it that PyYAML's construct_object reads."""
    loader = loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    probe = loader("")
    used = BaseConstructor.construct_object.__code__.co_names
    return {name: name in used and isinstance(getattr(probe, name, None), dict) for name in PRIVATE}


# --- with PyYAML's records ---------------------------------------------------------------

def _met_recorded(self, node) -> bool:
    """Whether `node` was met before in this document: built, or being built."""
    return node in self.constructed_objects or node in self.recursive_objects


def _construct_strings_direct(self, node, deep: bool = False) -> dict:
    """A mapping whose keys are all strings. Front matter is a mapping of strings to strings and
    lists of strings; PyYAML builds each of those through three Python calls (~1.5 µs a value).
    They are made here directly, recorded as construct_object records them, so an alias to one of
    them is still refused. Anything else goes through construct_object."""
    mapping = {}
    constructed = self.constructed_objects
    for key_node, value_node in node.value:
        key = self._value(key_node, constructed, deep)
        mapping[key] = self._value(value_node, constructed, deep)
    return mapping


def _value(self, node, constructed: dict, deep: bool):
    """The object for `node`: strings and lists of strings built here, the rest by PyYAML."""
    kind = type(node)
    if kind is yaml.ScalarNode and node.tag == _STR and node not in constructed:
        constructed[node] = node.value
        return node.value
    if kind is yaml.SequenceNode and node.tag == _SEQ and node not in constructed:
        items = node.value
        if all(type(item) is yaml.ScalarNode and item.tag == _STR for item in items):
            values = [self._value(item, constructed, deep) for item in items]
            constructed[node] = values
            return values
    return self.construct_object(node, deep)    # a node met before: construct_object refuses it


# --- PyYAML's own code, for a release without those names --------------------------------

def _met_own(self, node) -> bool:
    """Whether `node` was met before by this loader, kept in a set of our own."""
    met = self.__dict__.setdefault("_sitegen_met", set())
    if node in met:
        return True
    met.add(node)
    return False


def _construct_strings_stock(self, node, deep: bool = False) -> dict:
    """A mapping whose keys are all strings, built by PyYAML."""
    return SafeConstructor.construct_mapping(self, node, deep)


def _value_stock(self, node, constructed, deep: bool):
    return self.construct_object(node, deep)


_DIRECT = {"met": _met_recorded, "construct_strings": _construct_strings_direct, "_value": _value}
_STOCK = {"met": _met_own, "construct_strings": _construct_strings_stock, "_value": _value_stock}


def install(loader: type) -> bool:
    """Give `loader` (sitegen's SafeLoader subclass) the methods `met(node)`, for its refusal of
    aliases, and `construct_strings(node, deep)`, for mappings with string keys: the direct ones
    when PyYAML has the private names, its own otherwise. Return whether the direct ones."""
    direct = all(available(loader).values())
    for name, method in (_DIRECT if direct else _STOCK).items():
        setattr(loader, name, method)
    return direct


def in_effect(loader: type) -> dict[str, bool]:
    """For each speed-up, whether its private names exist and `loader` (the build's is
    sitegen.yamlload._Loader; passed in, because that module imports this one) uses it."""
    ready = all(available(loader).values())
    return {
        "direct_strings": ready and vars(loader).get("construct_strings") is _construct_strings_direct,
        "aliases_by_records": ready and vars(loader).get("met") is _met_recorded,
    }
