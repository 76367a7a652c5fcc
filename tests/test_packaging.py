"""Installs that reproduce: the locks agree with pyproject.toml, and a built
wheel (not an editable install) carries the question bank and the prompts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"


def read_lock(name: str) -> dict[str, Version]:
    pins = {}
    for line in (LOCKS / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert m, f"{name}: not an exact pin: {line!r}"
        pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def unmet(requirements: list[str], pins: dict[str, Version]) -> list[str]:
    problems = []
    for text in requirements:
        req = Requirement(text)
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req.name} is not in the lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req.name}=={pinned} does not satisfy {req.specifier}")
    return problems


def test_main_lock_satisfies_pyproject():
    assert unmet(project()["dependencies"], read_lock("main.lock")) == []


def test_dev_lock_satisfies_pyproject_and_its_extras():
    extras = project()["optional-dependencies"]
    needed = project()["dependencies"] + extras["dev"] + extras["piper"] + extras["base"]
    needed += [l.split("#")[0].strip() for l in (LOCKS / "dev.in").read_text().splitlines() if l.split("#")[0].strip()]
    assert unmet(needed, read_lock("dev.lock")) == []


def test_the_two_locks_pin_the_same_versions():
    main, dev = read_lock("main.lock"), read_lock("dev.lock")
    assert {n: (v, dev.get(n)) for n, v in main.items() if dev.get(n) != v} == {}


def test_the_check_catches_a_drifted_lock():
    pins = dict(read_lock("main.lock"))
    pins[canonicalize_name("pydantic")] = Version("1.10.0")
    del pins[canonicalize_name("litellm")]
    assert sorted(unmet(project()["dependencies"], pins)) == [
        "litellm is not in the lock", "pydantic==1.10.0 does not satisfy <3,>=2.6"]


def test_install_sh_installs_from_the_locks():
    script = (ROOT / "install.sh").read_text()
    assert "-r requirements/main.lock" in script and "-r requirements/dev.lock" in script
    assert "bash requirements/lock.sh" in (ROOT / "README.md").read_text()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_built_wheel_works_from_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(dist), str(ROOT)], capture_output=True, text=True, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("voicecoach-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    inst = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "-r", str(LOCKS / "main.lock"), str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-3000:]
    env = dict(os.environ, VOICECOACH_HOME=str(tmp_path / "home"), COLUMNS="200")
    env.pop("PYTHONPATH", None)
    cli = str(venv / "bin" / "voicecoach")
    # run from an empty folder so nothing can come from the checkout
    where = subprocess.run([str(py), "-c", "import voicecoach, voicecoach.paths as p; print(voicecoach.__file__); print(p.BUILTIN_BANK)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout.split()
    assert all(s.startswith(str(venv)) for s in where), where
    listed = subprocess.run([cli, "questions", "list", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    repo_ids = {p.stem for p in (ROOT / "questions").rglob("*.yaml")}
    assert {c["id"] for c in json.loads(listed.stdout)} == repo_ids
    scored = subprocess.run([cli, "score", "--card", "cross-entropy-vs-mse", "--json", "--text",
                             "Cross-entropy is the negative log-likelihood of the true class. With a softmax output "
                             "its gradient is p minus y, so a confidently wrong prediction still gets a large update."],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert scored.returncode == 0, scored.stderr[-2000:]
    out = json.loads(scored.stdout)
    assert out["card_id"] == "cross-entropy-vs-mse" and out["judge"]["kind"] == "offline"
    assert any(k["verdict"] in ("covered", "partial") for k in out["key_points"])
