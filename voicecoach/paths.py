"""Where the packaged data lives: the question bank and the prompt templates.

In the repository they sit at the top level (questions/, prompts/); a wheel
carries them inside the package as voicecoach/_bank and voicecoach/_prompts
(see [tool.setuptools.package-dir] in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def packaged(inside: str, repo_dir: str) -> Path:
    """The installed copy if this is a wheel install, else the repository's folder."""
    installed = PACKAGE / inside
    if installed.is_dir():
        return installed
    return PACKAGE.parent / repo_dir


BUILTIN_BANK = packaged("_bank", "questions")
PROMPTS_DIR = packaged("_prompts", "prompts")
