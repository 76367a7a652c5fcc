"""Prompt templates: versioned YAML files in prompts/, rendered with Jinja2
that fails on a missing variable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from voicecoach.paths import PROMPTS_DIR
from voicecoach.errors import JudgeError



@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user: str
    repair: str = ""

    def render(self, **values) -> list[dict]:
        from jinja2 import Environment, StrictUndefined, UndefinedError

        env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
        try:
            return [
                {"role": "system", "content": env.from_string(self.system).render(**values).strip()},
                {"role": "user", "content": env.from_string(self.user).render(**values).strip()},
            ]
        except UndefinedError as exc:
            raise JudgeError(f"prompt {self.version}: {exc}") from exc

    def render_repair(self, **values) -> str:
        from jinja2 import Environment, StrictUndefined, UndefinedError

        try:
            return Environment(undefined=StrictUndefined).from_string(self.repair).render(**values).strip()
        except UndefinedError as exc:
            raise JudgeError(f"prompt {self.version}: {exc}") from exc


def load_prompt(name: str, version: str | None = None, root: Path | None = None) -> Prompt:
    """The given version, or the newest ``<name>-v<N>.yaml``."""
    root = root or PROMPTS_DIR
    if version:
        path = root / f"{version}.yaml"
    else:
        found = sorted(root.glob(f"{name}-v*.yaml"), key=lambda p: int(p.stem.rsplit("-v", 1)[1]))
        if not found:
            raise JudgeError(f"no prompt named {name!r} in {root}")
        path = found[-1]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Prompt(name=name, version=path.stem, system=data["system"], user=data["user"], repair=data.get("repair", ""))
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise JudgeError(f"cannot load prompt {path}: {exc}") from exc
