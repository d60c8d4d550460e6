"""Binder's environment agrees with the package and with what the notebooks import.

On mybinder.org, repo2docker builds the image from environment.yml (conda-forge), then
runs postBuild, which installs rnnlib itself without its dependencies.  So every
third-party package that rnnlib or a chapter imports must be declared in
environment.yml as well as in pyproject.toml, with version ranges that agree: every
version environment.yml allows must be one pyproject.toml allows, and the version the
course is tested with (this environment) must satisfy both.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from functools import cache

import pytest
import yaml
from _book import ROOT, chapters
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

# Modules every notebook has by construction: it runs in an IPython kernel.
KERNEL_MODULES = {"IPython", "ipykernel"}
# conda-forge names that differ from the PyPI name of the same package.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}


def _imports(source: str) -> set[str]:
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _cell_source(code: str) -> str:
    """A code cell as plain Python: IPython magics and shell escapes become comments."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())


def third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m != "__future__" and m != "rnnlib"}


@cache
def library_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "rnnlib").rglob("*.py")):
        for module in third_party(_imports(path.read_text(encoding="utf-8"))):
            found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return found


@cache
def notebook_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for chapter in chapters():
        for code in chapter.code_sources:
            for module in third_party(_imports(_cell_source(code))) - KERNEL_MODULES:
                found.setdefault(module, set()).add(chapter.name)
    return found


def distribution(module: str, where: set[str]) -> str:
    dists = md.packages_distributions().get(module)
    if not dists:
        pytest.fail(f"{sorted(where)} import {module!r}, which no installed package provides", pytrace=False)
    return canonicalize_name(dists[0])


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pyproject_requirements(*, extras: bool) -> dict[str, SpecifierSet]:
    lines = list(pyproject()["dependencies"])
    if extras:
        lines += [r for group in ("test", "docs") for r in pyproject()["optional-dependencies"].get(group, [])]
    return {canonicalize_name(Requirement(r).name): Requirement(r).specifier for r in lines}


def conda_spec(spec: str) -> tuple[str, SpecifierSet]:
    """Read a conda match spec such as ``numpy>=2.0,<3``, ``numpy 2.1.*`` or ``numpy=2.1``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    name, version = match.group(1), match.group(2).replace(" ", "")
    if re.fullmatch(r"=[^=<>!].*", version):  # conda's `=2.1` means 2.1.*
        version = "==" + version[1:] + ("" if version.endswith("*") else ".*")
    elif version and version[0].isdigit():  # `2.1.*` or `2.1`
        version = "==" + version
    return canonicalize_name(CONDA_TO_PYPI.get(name, name)), SpecifierSet(version)


@cache
def environment() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    declared: dict[str, SpecifierSet] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = conda_spec(dep)
            declared[name] = spec
        elif isinstance(dep, dict):
            for line in dep.get("pip", []):
                if not line.startswith("-"):
                    declared[canonicalize_name(Requirement(line).name)] = Requirement(line).specifier
    return declared


def _probes(*specs: SpecifierSet) -> list[Version]:
    """Versions on and around every bound named in the specifiers: where two ranges can differ."""
    probes = set()
    for spec in specs:
        for s in spec:
            base = Version(s.version.rstrip(".*"))
            parts = list(base.release) + [0] * (3 - len(base.release))
            probes |= {base, Version(f"{base}.post1"), Version(f"{base}.dev0"), Version(f"{base}.0.1")}
            for i in range(3):
                up = parts[:i] + [parts[i] + 1] + [0] * (2 - i)
                probes.add(Version(".".join(map(str, up))))
                if parts[i] > 0:
                    down = parts[:i] + [parts[i] - 1] + [99] * (2 - i)
                    probes.add(Version(".".join(map(str, down))))
    return sorted(probes)


def _check(module: str, where: set[str], pyproject_specs: dict[str, SpecifierSet], file: str) -> list[str]:
    name = distribution(module, where)
    problems = []
    if name not in pyproject_specs:
        problems.append(f"{name} (imported by {sorted(where)}) is not declared in pyproject.toml {file}")
    if name not in environment():
        problems.append(f"{name} (imported by {sorted(where)}) is not declared in environment.yml")
    if problems:
        return problems
    ours, binder = pyproject_specs[name], environment()[name]
    looser = [
        str(v)
        for v in _probes(ours, binder)
        if binder.contains(v, prereleases=True) and not ours.contains(v, prereleases=True)
    ]
    if looser:
        problems.append(
            f"{name}: environment.yml allows {binder or 'any version'}, which admits {looser[:3]} that "
            f"pyproject.toml ({ours}) excludes; make environment.yml's range as strict"
        )
    installed = Version(md.version(name))
    for spec, file_name in ((ours, "pyproject.toml"), (binder, "environment.yml")):
        if not spec.contains(installed, prereleases=True):
            problems.append(f"{name} {installed} (the tested version) is outside {file_name}'s range {spec}")
    return problems


def test_rnnlib_imports_are_runtime_dependencies_in_both_files() -> None:
    imports = library_imports()
    assert imports, "found no third-party import in rnnlib: the scan is broken"
    runtime = pyproject_requirements(extras=False)
    problems = [
        p for module, where in sorted(imports.items()) for p in _check(module, where, runtime, "[project].dependencies")
    ]
    assert not problems, "\n".join(problems)


def test_notebook_imports_are_declared_in_both_files() -> None:
    course = pyproject_requirements(extras=True)
    problems = [
        p
        for module, where in sorted(notebook_imports().items())
        for p in _check(module, where, course, "(dependencies or the test/docs extras)")
    ]
    assert not problems, "\n".join(problems)


def test_binder_installs_rnnlib_after_the_repository_is_copied() -> None:
    """repo2docker installs environment.yml before it copies the repository, so `-e .` there fails;
    postBuild (run inside the copied repository) installs rnnlib, without touching conda's packages."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_lines = [line for dep in env["dependencies"] if isinstance(dep, dict) for line in dep.get("pip", [])]
    assert not any(line.strip() in ("-e .", ".", "-e.") for line in pip_lines), "install rnnlib in postBuild instead"
    post_build = ROOT / "postBuild"
    assert post_build.exists() and post_build.stat().st_mode & 0o111, "postBuild must exist and be executable"
    commands = [line for line in post_build.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert any(re.search(r"pip install .*--no-deps.*(-e )?\.\s*$", line) for line in commands), commands
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert conda_spec(python)[1].contains(f"{sys.version_info.major}.{sys.version_info.minor}.0")
    assert "pip" in [d for d in env["dependencies"] if isinstance(d, str)], "postBuild needs pip in the environment"


def test_the_conda_spec_reader() -> None:
    """The reader above must understand the forms environment.yml may use, or the checks mean nothing."""
    assert conda_spec("numpy>=2.0,<3") == ("numpy", SpecifierSet(">=2.0,<3"))
    assert conda_spec("numpy 2.1.*") == ("numpy", SpecifierSet("==2.1.*"))
    assert conda_spec("python=3.11") == ("python", SpecifierSet("==3.11.*"))
    assert conda_spec("matplotlib-base >=3.9") == ("matplotlib", SpecifierSet(">=3.9"))
    loose, strict = SpecifierSet(">=1.26"), SpecifierSet(">=2.0,<3")
    assert [v for v in _probes(strict, loose) if loose.contains(v) and not strict.contains(v)]
    assert not [v for v in _probes(strict, strict) if strict.contains(v) and not strict.contains(v)]


def test_binder_start_sets_the_run_time_settings_the_makefile_uses():
    # CI and the measured figures run under the Makefile's exports; Binder must run the same.
    makefile = dict(re.findall(r"^export (\w+) \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M))
    start = dict(re.findall(r"^export (\w+)=(\S+)$", (ROOT / "start").read_text(), re.M))
    assert {"OPENBLAS_NUM_THREADS", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"} <= makefile.keys()
    assert start == makefile
