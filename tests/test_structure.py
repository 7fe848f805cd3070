"""The package's shape: which of its modules import which."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"


def name_of(path: Path) -> str:
    """A module's dotted name within the package: "cli", "stages.load"."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules a module imports, at its top, inside a function or for type checking."""
    here = name_of(path).split(".") if path.name != "__init__.py" else name_of(path).split(".") + ["_"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = here[:len(here) - node.level]
        elif (node.module or "").startswith("sitegen."):
            base = []
        else:
            continue
        module = [p for p in (node.module or "").split(".") if p and p != "sitegen"] if node.module else []
        target = ".".join(base + module)
        # `from . import x` and `from .stages import load` name modules; `from .x import f` a function
        for alias in node.names:
            if f"{target}.{alias.name}".strip(".") in modules:
                found.add(f"{target}.{alias.name}".strip("."))
            elif target in modules:
                found.add(target)
    found.discard(name_of(path))
    return found


def graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    modules = {name_of(p) for p in paths}
    return {name_of(p): imports_of(p, modules) for p in paths}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from its first module)."""
    found, done = [], set()

    def walk(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                found.append(path[path.index(target):] + [target])
            elif target not in done:
                walk(target, path + [target])
        done.add(module)

    for module in sorted(edges):
        if module not in done:
            walk(module, [module])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_command_line_and_the_preview_server_do_not_import_each_other():
    edges = graph()
    assert "serve" in edges["cli"]          # the command line starts the server …
    assert "cli" not in edges["serve"]      # … which needs nothing of it


def test_no_module_of_the_package_imports_itself_back():
    assert cycles(graph()) == []


def test_the_stages_import_no_pipeline_and_no_other_stage_but_the_ones_they_build_on():
    edges = graph()
    stages = {name for name in edges if name.startswith("stages.")}
    assert {"stages.load", "stages.convert", "stages.group", "stages.render", "stages.publish",
            "stages.index", "stages.skip"} <= stages
    assert all("pipeline" not in edges[name] for name in stages)
    assert {"stages.convert", "stages.group", "stages.render", "stages.publish"} <= edges["pipeline"]
