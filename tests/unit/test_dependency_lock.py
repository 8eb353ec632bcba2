"""requirements.lock pins every dependency pyproject.toml names, at a version the pyproject accepts.

pyproject.toml is the source of the abstract requirements; ``make venv`` installs only from the lock.
A dependency added to pyproject.toml without ``make lock`` would never be installed: this test says so.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _pins(text: str) -> dict[str, str]:
    return {canonicalize_name(m.group(1)): m.group(2) for m in map(_PIN.match, text.splitlines()) if m}


def _declared(pyproject: dict[str, object]) -> list[Requirement]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def lock_problems(pyproject_text: str, lock_text: str) -> list[str]:
    pins = _pins(lock_text)
    out = []
    for req in _declared(tomllib.loads(pyproject_text)):
        got = pins.get(canonicalize_name(req.name))
        if got is None:
            out.append(f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`")
        elif not req.specifier.contains(got, prereleases=True):
            out.append(f"{req.name}=={got} in requirements.lock does not satisfy {req}: run `make lock`")
    return out


def test_every_declared_dependency_is_pinned_at_an_accepted_version() -> None:
    problems = lock_problems((ROOT / "pyproject.toml").read_text(), (ROOT / "requirements.lock").read_text())
    assert problems == []


def test_every_pin_carries_a_hash() -> None:
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    unhashed = [b.split()[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
    assert unhashed == []


def test_the_check_names_a_missing_and_an_outdated_pin() -> None:
    pyproject = '[project]\ndependencies = ["rich>=13", "Some_Lib>=1"]\n[project.optional-dependencies]\ndev = ["mypy>=2"]\n'
    lock = "rich==12.0.0 \\\n    --hash=sha256:00\nmypy==2.1 \\\n    --hash=sha256:11\n"
    problems = lock_problems(pyproject, lock)
    assert len(problems) == 2
    assert "rich==12.0.0" in problems[0] and "Some_Lib" in problems[1]
