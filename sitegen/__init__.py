"""sitegen: the static site generator behind the union news portal."""

__version__ = "0.1.0"
