"""MarkupSafe and Jinja speed-ups that rely on their private internals, each used only while
they exist.

Checked against Jinja2 3.1.6 and MarkupSafe 3.0.4 (the versions in .venv). Private names
relied on:

- ``markupsafe._escape_inner``: the escaping of a str to a str (in C) that markupsafe.escape
  wraps in a Markup; escape_output calls it directly;
- ``Template.root_render_func``: the compiled template's render function, whose module globals
  hold the ``escape`` that output expressions call (replaced by escape_output), and which
  render() calls as ``Template.render`` does (with ``Template.new_context``,
  ``Environment.concat`` and ``Environment.handle_exception``), without its per-page copies;
- ``Context.call``'s private keyword arguments ``_block_vars`` and ``_loop_vars``, which
  compiled templates pass to every call of a global inside a block or loop: _Context.call
  drops them, as Jinja's does, before calling the theme's own functions directly.

install(env, plain) applies each speed-up whose names are there (see available()); one whose
names are missing is left out and Jinja's own code runs, with the same output. in_effect(env)
says which are applied; tests/test_speedups.py holds both.
"""
from __future__ import annotations

import weakref
from types import FunctionType

import jinja2
import markupsafe

SPEEDUPS: dict[str, tuple[str, ...]] = {
    "escape_output": ("markupsafe._escape_inner", "Template.root_render_func"),
    "direct_call": ("Context.call private kwargs",),
    "direct_render": ("Template.root_render_func", "Template.render"),
}
_PRIVATE_KWARGS = frozenset({"_block_vars", "_loop_vars"})
_RENDER_NAMES = frozenset({"new_context", "root_render_func", "concat", "handle_exception"})
_DIRECT_RENDER: weakref.WeakSet = weakref.WeakSet()       # the environments render() renders directly


def _code(function):
    return getattr(function, "__code__", None)


def available() -> dict[str, bool]:
    """For each private name relied on here, whether the installed MarkupSafe or Jinja has it
    and its own code still uses it the way this module does."""
    call_kwargs = {c for c in getattr(_code(jinja2.runtime.Context.call), "co_consts", ())
                   if isinstance(c, str) and c.startswith("_") and c.endswith("_vars")}
    return {
        "markupsafe._escape_inner": callable(getattr(markupsafe, "_escape_inner", None))
        and "_escape_inner" in getattr(_code(markupsafe.escape), "co_names", ()),
        "Template.root_render_func":
            "root_render_func" in getattr(_code(jinja2.Template._from_namespace), "co_names", ()),
        "Template.render": _RENDER_NAMES <= set(getattr(_code(jinja2.Template.render), "co_names", ())),
        # the keyword arguments Jinja's call drops: one more, and calling directly would pass it on
        "Context.call private kwargs": call_kwargs == _PRIVATE_KWARGS,
    }


def _ready() -> dict[str, bool]:
    names = available()
    return {speedup: all(names[name] for name in needs) for speedup, needs in SPEEDUPS.items()}


# markupsafe's own escaping of a str to a str, in C (what its escape() wraps in a Markup); with a
# MarkupSafe that has no such function, the same characters through escape()
_escape_inner = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(markupsafe.escape(text)))


def escape_output(value: object) -> str:
    """What markupsafe.escape(value) gives, as a str rather than a Markup: the same characters.

    Jinja (autoescape on) passes every `{{ … }}` of a template through escape() and joins the
    results into the page. markupsafe's escape wraps each result in a Markup, whose __new__ runs
    in Python; on an article page's ~100 outputs that was a sixth of Jinja's time, for strings
    that are only joined (tests/test_theme.py holds the two equal on any text).
    """
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class _Template(jinja2.Template):
    """A template whose output expressions are escaped by escape_output.

    Jinja compiles `{{ x }}` to `escape(x)` with `escape` a global of the template's module,
    used for nothing but output that is joined into text: macros, `{% set %}` blocks and
    call blocks wrap their joined text in Markup themselves. Every template, from the loader or
    the bytecode cache, is made here.
    """

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # noqa: A002 - Jinja's signature
        template = super().from_code(environment, code, globals, uptodate)
        template.root_render_func.__globals__["escape"] = escape_output
        return template


class _Context(jinja2.runtime.Context):
    """Jinja's Context, calling the theme's own functions (`plain`) directly.

    Jinja compiles `f(x)` on a global to `context.call(f, x)`, which looks on every call for
    pass_context and its kin on the function and on its __call__ (~1.8 µs; an article page
    makes ~9 such calls, a listing page one per card). The theme's functions take none of them:
    they are called as Context.call would call them, without the looking.
    """

    plain: frozenset = frozenset()

    def call(__self, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature, whose names cannot clash with kwargs
        if type(__obj) is FunctionType and __obj in __self.plain:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


def install(env: jinja2.Environment, plain: frozenset) -> None:
    """Apply to `env` (before it loads a template) every speed-up whose private names the
    installed Jinja and MarkupSafe have: escape_output for output, the functions in `plain`
    called directly, pages rendered by render() without Template.render's copies."""
    ready = _ready()
    if ready["escape_output"]:
        env.template_class = _Template
    if ready["direct_call"]:
        env.context_class = type("Context", (_Context,), {"plain": plain})
    if ready["direct_render"] and not env.is_async:
        _DIRECT_RENDER.add(env)


def render(env: jinja2.Environment, template: jinja2.Template, globals_: dict, context: dict) -> str:
    """template.render(context), without its per-page copies where install() allowed it.

    Template.render copies the context, then merges it with the template's globals, a ChainMap
    read key by key in Python (~28 µs a page, 8 % of an article page). `globals_` is
    dict(template.globals), merged once per template and worker by the caller: the globals do
    not change during a build."""
    if env not in _DIRECT_RENDER:
        return template.render(context)
    ctx = env.context_class(env, {**globals_, **context}, template.name, template.blocks, globals=globals_)
    try:
        return env.concat(template.root_render_func(ctx))   # type: ignore[attr-defined]
    except Exception:
        env.handle_exception()      # raises it again with the template's file and line, as render() does
        raise                       # not reached: handle_exception always raises


def in_effect(env: jinja2.Environment) -> dict[str, bool]:
    """For each speed-up, whether its private names exist and it is applied to `env` (as made by
    sitegen.render.make_environment)."""
    ready = _ready()
    return {
        "escape_output": ready["escape_output"] and issubclass(env.template_class, _Template),
        "direct_call": ready["direct_call"] and issubclass(env.context_class, _Context),
        "direct_render": ready["direct_render"] and env in _DIRECT_RENDER,
    }
