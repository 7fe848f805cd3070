"""Diagnostics: every problem the build finds, as `path: field: message` lines."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file. `line` is optional; `field` names the key or stage."""

    path: str
    field: str
    message: str
    line: int | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}"


class BuildError(Exception):
    """Raised by a stage when the build cannot go on; carries every error found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


class Report:
    """Collects errors and warnings across stages, so all are printed together."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, path: str, field: str, message: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(path, field, message, line, "error"))

    def warn(self, path: str, field: str, message: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(path, field, message, line, "warning"))

    def extend(self, items: list[Diagnostic]) -> None:
        self.items.extend(items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self, strict: bool = False) -> None:
        """Stop the build if there are errors (or, when strict, any warnings)."""
        failing = self.items if strict else self.errors
        if failing:
            raise BuildError(sorted(failing, key=lambda d: (d.path, d.line or 0)))
