"""Every third-party package the code imports is declared in pyproject.toml: the product's in
``dependencies``, the tests' there or in the ``test`` extra. An undeclared import works here (the
shared virtualenv has it) and breaks a fresh ``pip install .``."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
OURS = set(CONFIG["tool"]["importlinter"]["root_packages"]) | {"tests"}


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _declared(requirements: list[str]) -> set[str]:
    return {_name(Requirement(r).name) for r in requirements}


def _imported(folders: list[str]) -> dict[str, str]:
    """Top-level third-party module -> a file importing it (any import, even inside a function)."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for top in (n.split(".")[0] for n in names):
                    if top not in OURS and top not in sys.stdlib_module_names:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _undeclared(modules: dict[str, str], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    return [
        f"{module} (imported in {where})"
        for module, where in sorted(modules.items())
        if not {_name(d) for d in distributions.get(module, [module])} & declared
    ]


def test_the_product_declares_what_it_imports() -> None:
    product = sorted(OURS - {"tests"})
    declared = _declared(CONFIG["project"]["dependencies"])
    assert _undeclared(_imported(product), declared) == []


def test_the_tests_declare_what_they_import() -> None:
    project = CONFIG["project"]
    declared = _declared(project["dependencies"] + project["optional-dependencies"]["test"])
    assert _undeclared(_imported(["tests"]), declared) == []


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version and ";" not in line, f"not a plain pin: {line!r}"
        pins[_name(name)] = version.strip()
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_bounds() -> None:
    """`make` installs with requirements.lock as constraints: a dependency added to pyproject.toml
    without `make lock` would resolve freely, a pin outside a bound would not install."""
    project = CONFIG["project"]
    locked = _locked()
    problems = []
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(text)
        version = locked.get(_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock (run `make lock`)")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert problems == []
    # pip and setuptools come with the virtualenv and are upgraded by it, never pinned here
    assert not {"pip", "setuptools", "wheel", "locanext"} & locked.keys()


def test_make_installs_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "$(STAMP)/python: pyproject.toml $(LOCK)" in makefile
    assert "pip install -q -c $(LOCK) -e '.[test]'" in makefile
