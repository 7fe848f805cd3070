"""Speed-ups that rely on the private internals of the libraries the build uses.

One module per library (markdown, yaml, templates). Each lists in its docstring the private
names it relies on and the versions it was checked against, applies a speed-up only while the
installed version has those names (Python-Markdown's, PyYAML's or Jinja's own code runs
otherwise, with the same output), and reports with in_effect() which speed-ups are applied.
"""
