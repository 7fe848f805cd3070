"""Speed-ups built on libraries' private internals (sitegen/speedups/).

With the installed versions every speed-up is applied (in_effect() all true: a test fails when an
upgrade switches one off). A release without a private name is simulated by renaming it in the
library, consistently, as a release would (its own code keeps working): in_effect() then says
the speed-up is off, and the output is what the library's own code gives. The sped-up and stock
outputs are compared here for page rendering; for Markdown in tests/test_markdown.py, for YAML in
tests/test_frontmatter.py, for escaping and the Context in tests/test_theme.py.
"""
from __future__ import annotations

import sys
import types
from datetime import datetime, timezone

import jinja2
import jinja2.compiler
import jinja2.runtime
import pytest

from sitegen.markdown import make_markdown
from sitegen.speedups import markdown as markdown_speedups
from sitegen.speedups import templates as template_speedups
from sitegen.speedups import yaml as yaml_speedups
from sitegen import yamlload
from sitegen.yamlload import YamlError, _Loader, load_yaml

from .stock import stock_markdown
from .test_markdown import BLOCK_SAMPLES, INLINE_SAMPLES, render

NEW = "_renamed_in_this_release"


def _renamed_code(code: types.CodeType, old: str, new: str, strings: bool) -> types.CodeType:
    """`code` with the attribute or global `old` called `new` (and in its strings too, if `strings`:
    the code a library generates, as Jinja's compiler does)."""
    consts = tuple(_renamed_code(c, old, new, strings) if isinstance(c, types.CodeType)
                   else c.replace(old, new) if strings and isinstance(c, str) else c for c in code.co_consts)
    return code.replace(co_names=tuple(new if n == old else n for n in code.co_names), co_consts=consts)


def _functions(owner):
    """The Python functions of a module or class, decorated ones with what they wrap."""
    for value in list(vars(owner).values()):
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            yield from (f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType))
            continue
        while isinstance(value, types.FunctionType):
            yield value
            value = getattr(value, "__wrapped__", None)


def release_renaming(monkeypatch, package: str, old: str, new: str = NEW, strings: bool = False) -> None:
    """Make the loaded `package` what a release that calls `old` `new` would be: every function of
    its modules and their classes uses the new name (in the code it generates too, if `strings`),
    every module or class that had it has it under the new name. Undone by monkeypatch."""
    modules = [m for name, m in list(sys.modules.items()) if name == package or name.startswith(package + ".")]
    for module in modules:
        owners = [module] + [v for v in vars(module).values()
                             if isinstance(v, type) and v.__module__ == module.__name__]
        for owner in owners:
            for function in _functions(owner):
                code = _renamed_code(function.__code__, old, new, strings)
                if code != function.__code__:
                    monkeypatch.setattr(function, "__code__", code)
            if old in vars(owner):
                monkeypatch.setattr(owner, new, vars(owner)[old], raising=False)
                monkeypatch.delattr(owner, old)


def jinja_renaming_block_vars(monkeypatch) -> None:
    """A Jinja release whose compiled calls pass, and whose Context.call drops, `_block_vars`
    under another name."""
    call = jinja2.runtime.Context.call
    monkeypatch.setattr(call, "__code__", _renamed_code(call.__code__, "_block_vars", NEW, strings=True))
    signature = jinja2.compiler.CodeGenerator.signature

    def renamed_signature(self, node, frame, extra_kwargs=None):
        if extra_kwargs and "_block_vars" in extra_kwargs:
            extra_kwargs = {NEW if key == "_block_vars" else key: value for key, value in extra_kwargs.items()}
        return signature(self, node, frame, extra_kwargs)
    monkeypatch.setattr(jinja2.compiler.CodeGenerator, "signature", renamed_signature)


@pytest.fixture
def release(monkeypatch):
    """monkeypatch for simulating a release; afterwards the libraries are put back and the
    loader's speed-ups installed again (install() is run at import, not per build)."""
    yield monkeypatch
    monkeypatch.undo()
    yaml_speedups.install(_Loader)


# --- with the installed versions every speed-up is in effect -------------------------------

def test_every_private_name_is_there_in_the_installed_versions():
    for module in (markdown_speedups, yaml_speedups, template_speedups):
        assert all(module.available().values()), (module.__name__, module.available())


def test_every_markdown_speedup_is_in_effect():
    assert markdown_speedups.in_effect(make_markdown()) == dict.fromkeys(markdown_speedups.SPEEDUPS, True)


def test_every_yaml_speedup_is_in_effect():
    assert yaml_speedups.in_effect(yamlload._Loader) == {"direct_strings": True, "aliases_by_records": True}


def _environment(site):
    from sitegen.config import load_config
    from sitegen.render import Site, make_environment

    config, _ = load_config(site.root)
    return make_environment(site.root, Site(config, {}, datetime(2020, 1, 1, tzinfo=timezone.utc), {}))


def test_every_template_speedup_is_in_effect(site):
    assert template_speedups.in_effect(_environment(site)) == dict.fromkeys(template_speedups.SPEEDUPS, True)


# a global called in a loop, a block, a set block and a macro; escaped and safe output
_PAGE = ("{% macro m() %}{{ url('a/') }}{% endmacro %}{% for i in [1, 2] %}{{ url('b/' ~ i ~ '/') }}{% endfor %}"
         "{% set x %}{{ absolute_url('c/') }}{% endset %}{{ x }}{{ m() }}{% block b %}{{ url('d/') }}{{ v }}"
         "{% endblock %}{{ v|safe }}{{ n }}{{ site.title }}")
_VALUES = {"v": "<b>&'\"</b> Đ", "n": 3}


def test_pages_rendered_directly_are_what_template_render_gives(site):
    env = _environment(site)
    template = env.from_string(_PAGE)
    assert template_speedups.render(env, template, dict(template.globals), _VALUES) == template.render(_VALUES)


# --- a release without a private name: the speed-up is off, the output the same --------------

@pytest.mark.parametrize(("name", "off"), [
    ("_InlineProcessor__handleInline", {"inline_gates"}),
    ("_InlineProcessor__applyPattern", {"inline_gates"}),
    ("_priority", {"inline_gates", "processor_gates", "line_gates"}),
    ("lines", {"line_gates"}),
    ("deregister", {"listed_registry"}),
    ("is_block_level", {"block_level_memo"}),
])
def test_markdown_without_a_private_name_falls_back(release, name, off):
    glossary = {"CĐVC": "Công đoàn viên chức"}
    stock = stock_markdown(glossary)
    expected = [render(stock, text) for text in INLINE_SAMPLES + BLOCK_SAMPLES]
    release_renaming(release, "markdown", name)
    md = make_markdown(glossary)
    effect = markdown_speedups.in_effect(md)
    assert {key for key, on in effect.items() if not on} == off
    assert [render(md, text) for text in INLINE_SAMPLES + BLOCK_SAMPLES] == expected


_DOCUMENTS = ["title: Hội nghị\ntags: [a, b]\nlevel: tinh\ncount: 3\ndate: 2019-12-25\n",
              "a: {b: [c, {d: e}]}\nf: null\ng: 'x'\n", "- một\n- hai: ba\n"]


@pytest.mark.parametrize("name", yaml_speedups.PRIVATE)
def test_yaml_without_a_private_name_falls_back(release, name):
    expected = [load_yaml(text) for text in _DOCUMENTS]
    release_renaming(release, "yaml", name)
    yaml_speedups.install(_Loader)      # as importing sitegen.yamlload with that release would
    assert yaml_speedups.in_effect(yamlload._Loader) == {"direct_strings": False, "aliases_by_records": False}
    assert [load_yaml(text) for text in _DOCUMENTS] == expected
    for text in ("a: &x b\nc: *x\n", "a: &x [b]\nc: *x\n", "a: &x {b: c}\nd: *x\n", "&x [*x]\n"):
        with pytest.raises(YamlError, match="aliases"):
            load_yaml(text)


@pytest.mark.parametrize(("simulate", "off"), [
    (lambda patch: release_renaming(patch, "markupsafe", "_escape_inner"), {"escape_output"}),
    (lambda patch: release_renaming(patch, "jinja2", "root_render_func", strings=True), {"escape_output", "direct_render"}),
    (jinja_renaming_block_vars, {"direct_call"}),
], ids=["_escape_inner", "root_render_func", "_block_vars"])
def test_templates_without_a_private_name_fall_back(release, site, simulate, off):
    env = _environment(site)
    template = env.from_string(_PAGE)
    expected = template_speedups.render(env, template, dict(template.globals), _VALUES)
    simulate(release)
    env = _environment(site)
    assert {key for key, on in template_speedups.in_effect(env).items() if not on} == off
    template = env.from_string(_PAGE)
    assert template_speedups.render(env, template, dict(template.globals), _VALUES) == expected


def test_a_release_without_any_private_name_builds_the_same_bytes(release, tmp_path):
    """Every private name of the three libraries renamed at once: the sample site's build is
    still byte-identical to its frozen manifest, made by Python-Markdown's, PyYAML's and Jinja's
    own code."""
    import shutil

    from .test_output_manifest import REPO, built, compare

    for package, names in (("markdown", ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern",
                                         "_priority", "lines", "deregister", "is_block_level")),
                           ("yaml", yaml_speedups.PRIVATE), ("markupsafe", ("_escape_inner",)),
                           ("jinja2", ("root_render_func",))):
        for name in names:
            release_renaming(release, package, name, NEW + name, strings=package == "jinja2")
    jinja_renaming_block_vars(release)
    yaml_speedups.install(_Loader)
    assert not any(markdown_speedups.in_effect(make_markdown()).values())
    assert not any(yaml_speedups.in_effect(yamlload._Loader).values())
    root = tmp_path / "sample"
    root.mkdir()
    for name in ("content", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    compare("sample", built(root, tmp_path / "out", release))
