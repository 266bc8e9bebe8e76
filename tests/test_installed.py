"""LocaNext as a tester installs it: a wheel built from the packaged sources only, installed into a
fresh virtualenv, and `locanext fuzz` run from a directory outside any checkout.

The new virtualenv borrows this one's third-party packages (a path line in a .pth file, added
after its own site-packages) so the test needs no download; that is why it also checks that every
distribution the run imported is a declared dependency of the wheel, or one of theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

# Run by the new virtualenv's Python: the distributions of the top-level modules named on stdin
# that the installed `locanext` neither declares nor gets through its declared dependencies.
_UNDECLARED = """
import json, re, sys
from importlib import metadata
from packaging.requirements import Requirement

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

seen, todo = set(), [("locanext", frozenset())]
while todo:
    name, extras = todo.pop()
    if (norm(name), extras) in seen:
        continue
    seen.add((norm(name), extras))
    for line in metadata.requires(name) or []:
        req = Requirement(line)
        envs = [{"extra": e} for e in extras] or [{"extra": ""}]
        if req.marker is None or any(req.marker.evaluate(env) for env in envs):
            todo.append((req.name, frozenset(req.extras)))
declared = {name for name, _ in seen}
owners = metadata.packages_distributions()
modules = json.load(sys.stdin)
print(json.dumps(sorted(
    {d for m in modules for d in owners.get(m, []) if norm(d) not in declared}
)))
"""


def _packaged_sources(dest: Path) -> Path:
    """pyproject.toml, README.md and the packages it lists: what a release is built from."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    names = {p.rstrip("*") for p in patterns}
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in names:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    # Without PYTHONPATH: a checkout on it would look installed already to pip and the new venv.
    kwargs.setdefault("env", {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs
    )
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n" + "\n".join(errors[-30:])
    return result


def _venv_with_wheel(tmp: Path) -> Path:
    dist = tmp / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist,
         _packaged_sources(tmp / "src"))  # fmt: skip
    [wheel] = dist.glob("locanext-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", wheel)  # fmt: skip
    # Only now, so pip saw an empty environment; after the venv's own site-packages.
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                .stdout.strip())  # fmt: skip
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "borrowed.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    return venv


def test_an_installed_locanext_fuzzes_outside_the_checkout(tmp_path: Path, pg_server: str):
    venv = _venv_with_wheel(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where, tests = _run(
        venv / "bin" / "python", "-c",
        "import importlib.util, locanext; print(locanext.__file__);"
        " print(importlib.util.find_spec('tests'))",
        cwd=elsewhere, env=env,
    ).stdout.split()  # fmt: skip
    assert Path(where).resolve().is_relative_to(venv.resolve()) and tests == "None"

    fuzz = _run(
        venv / "bin" / "locanext", "fuzz", "--seed", "1", "--examples", "2", "--steps", "5",
        "--dsn", pg_server,
        cwd=elsewhere, env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
    )  # fmt: skip
    assert fuzz.stdout.startswith("no failure: 2 examples in 1 round(s)"), fuzz.stdout
    assert list(elsewhere.iterdir()) == []  # no replay file, nothing left behind

    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in fuzz.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"hypothesis", "locanext", "central", "engine", "replicator"} <= imported
    undeclared = json.loads(_run(
        venv / "bin" / "python", "-c", _UNDECLARED,
        input=json.dumps(sorted(imported)), cwd=elsewhere, env=env,
    ).stdout)  # fmt: skip
    assert undeclared == [], f"imported, not declared in pyproject.toml: {undeclared}"
