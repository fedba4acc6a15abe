"""No private attributes of Django (or of any library) in the product: only their public API.

A name starting with one underscore is the owner's to change in any release; code that
reads `instance._state` or calls `connection._prepare_cursor` breaks on an upgrade without
a deprecation warning. The rule, checked on the syntax tree of every module in `solabooks/`:
an attribute `x._name` (and `getattr(x, "_name")`, `setattr`, `hasattr`, `delattr`) is
allowed only when `x` is `self` or `cls` (a class's own state, or a hook it overrides) or a
module of this project; `_meta`, the documented model options API, is allowed everywhere.
Dunder names (`__name__`) are not private.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "solabooks"
ALLOWED_NAMES = frozenset({"_meta"})
OWN_OBJECTS = frozenset({"self", "cls"})
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
# Reasoned exceptions, as "path:line-content" would be brittle: (relative path, attribute).
# Empty: every private access was replaced by public API.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_project_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def project_module_names(tree: ast.Module, path: Path) -> set[str]:
    """The names this module binds to modules of the project (`from . import accesslog`,
    `import solabooks.core.prepared as prepared`), not to the classes and functions in
    them."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "solabooks" and alias.asname:
                    names.add(alias.asname)
                elif alias.name.split(".")[0] == "solabooks":
                    names.add("solabooks")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join((*base, *([node.module] if node.module else [])))
            else:
                source = node.module or ""
            if source.split(".")[0] != "solabooks":
                continue
            for alias in node.names:
                if is_project_module(f"{source}.{alias.name}"):
                    names.add(alias.asname or alias.name)
    return names


def private_accesses(path: Path, source: str | None = None) -> list[str]:
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
    modules = project_module_names(tree, path)
    rel = path.relative_to(ROOT).as_posix()

    def owned(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and (node.id in OWN_OBJECTS or node.id in modules)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            target, name = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ATTRIBUTE_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            target, name = node.args[0], node.args[1].value
        else:
            continue
        if not is_private(name) or name in ALLOWED_NAMES or owned(target):
            continue
        if (rel, name) in ALLOWED:
            continue
        found.append((node.lineno, node.col_offset, f"{rel}:{node.lineno}: {ast.unparse(node)}"))
    return [text for _, _, text in sorted(found)]


def modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_private_attribute_of_another_object(path):
    found = private_accesses(path)
    assert not found, "Private attribute of a library object (use its public API):\n" + (
        "\n".join(found)
    )


def test_the_lint_finds_what_it_must():
    """The checker itself: what it must refuse and what it must let through."""
    code = (
        "from django.db import connection\n"
        "from solabooks.activity import accesslog\n"
        "from solabooks.activity.models import Activity\n"
        "from . import prepared\n"
        "instance._state.adding = False\n"
        "connection._prepare_cursor(None)\n"
        "Activity._base_manager.all()\n"
        "getattr(request, '_messages', None)\n"
        "super()._hook()\n"
        "Activity._meta.concrete_fields\n"
        "self._cache\n"
        "cls._instances\n"
        "accesslog._write([], {})\n"
        "prepared._placeholder(int, 0)\n"
        "type(x).__name__\n"
        "getattr(self, '_project', None)\n"
    )
    found = private_accesses(PACKAGE / "core" / "sample.py", code)
    assert [line.split(": ", 1)[1] for line in found] == [
        "instance._state",
        "connection._prepare_cursor",
        "Activity._base_manager",
        "getattr(request, '_messages', None)",
        "super()._hook",
    ]
