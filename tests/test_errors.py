"""Errors carry their next step as data (errors.Step); each front end words
it. Every kind raised anywhere has CLI words, and no core hint names a flag."""

from __future__ import annotations

import re
from pathlib import Path

from voicecoach.cli.base import full_hint, step_words
from voicecoach.errors import NoSpeechError, Step
from voicecoach.web.steps import step_link

PKG = Path(__file__).resolve().parent.parent / "voicecoach"
CORE_FILES = [p for p in PKG.rglob("*.py") if "cli" not in p.parts and "web" not in p.parts]


def raised_kinds() -> set[str]:
    return {m for p in PKG.rglob("*.py") for m in re.findall(r'Step\("(\w+)"', p.read_text(encoding="utf-8"))}


def test_every_step_raised_has_cli_words():
    kinds = raised_kinds()
    assert {"rescore", "type_answer", "no_speak"} <= kinds  # the scan found them
    for kind in kinds:
        assert step_words(Step(kind, {"attempt_id": "a1", "session_id": "s1", "card_id": "c", "path": "p", "name": "n"})), kind


def test_web_words_the_steps_it_can_offer():
    for kind in raised_kinds() - {"plan_exists", "plan_delete", "plan_list"}:  # plans are built in the CLI
        assert step_link(Step(kind, {"attempt_id": "a1"}))[0], kind


def test_core_hints_name_no_flag_or_command():
    flagged = []
    for p in CORE_FILES:
        for m in re.finditer(r'hint=f?"([^"]*)"', p.read_text(encoding="utf-8")):
            text = re.sub(r"pip install [^.,;]*", "", m.group(1))  # installing is the same from any front end
            if re.search(r"(^|\s)--[a-z]|voicecoach [a-z]", text):
                flagged.append(f"{p.name}: {m.group(1)}")
    assert not flagged, flagged


def test_cli_joins_hint_and_step():
    exc = NoSpeechError("no speech", hint="Check the recording.", step=Step("type_answer"))
    assert full_hint(exc) == "Check the recording. Or answer with --text."
    assert full_hint(NoSpeechError("x")) == ""
