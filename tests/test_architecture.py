"""The package's layers (docs/architecture.md): inputs < core < analyses < outputs < cli; a
module never imports from a higher layer, and only ``core`` imports Pyomo."""

from __future__ import annotations

import ast
from pathlib import Path

import ecopark_opt

PACKAGE = Path(ecopark_opt.__file__).parent
LAYERS = {"inputs": 1, "core": 2, "analyses": 3, "outputs": 4, "cli": 5, "__main__": 5}
BASE = 0  # errors, park, interrupts, __init__: used by every layer
# the one import that points up: the settings' defaults come from the schema
UPWARD = {("park", "inputs.schema"), ("park", "inputs.schema.SETTINGS")}


def layer(module: str) -> int:
    """Layer of a module path inside the package, e.g. ``core.model`` → 2."""
    return LAYERS.get(module.split(".")[0], BASE)


def imports(path: Path) -> list[str]:
    """Modules imported by a file, as absolute names (``ecopark_opt.…`` or third party)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.append(name)
            out += [f"{name}.{alias.name}" for alias in node.names]
    return out


def modules() -> list[tuple[str, Path]]:
    return [
        (".".join(p.relative_to(PACKAGE).with_suffix("").parts), p)
        for p in sorted(PACKAGE.rglob("*.py"))
    ]


def test_no_module_imports_from_a_higher_layer():
    wrong = []
    for name, path in modules():
        for target in imports(path):
            if not target.startswith("ecopark_opt."):
                continue
            inner = target.removeprefix("ecopark_opt.")
            if (PACKAGE / inner.replace(".", "/")).with_suffix(".py").exists() or (
                PACKAGE / inner.split(".")[0]
            ).is_dir():
                if layer(inner) > layer(name) and layer(name) != BASE:
                    wrong.append(f"{name} imports {inner}")
    assert wrong == []


def test_only_core_imports_pyomo():
    users = {
        name
        for name, path in modules()
        if any(t == "pyomo" or t.startswith("pyomo.") for t in imports(path))
    }
    assert users and all(name.startswith("core.") for name in users), sorted(users)


def test_base_modules_import_no_layer():
    wrong = [
        f"{name} imports {t}"
        for name, path in modules()
        if layer(name) == BASE and "." not in name
        for t in imports(path)
        if t.startswith("ecopark_opt.")
        and layer(t.removeprefix("ecopark_opt.")) != BASE
        and (name, t.removeprefix("ecopark_opt.")) not in UPWARD
    ]
    assert wrong == []
