"""Between-question commands, spoken or typed: next, repeat, skip, pause, stop.

Spoken replies are short and free-form ("could you repeat that?", "let's move
on", "I'd like to stop here"), so they are matched by keywords on the Whisper
transcript. When a reply holds several, the most cautious wins: stop, then
pause, skip, repeat, next."""

from __future__ import annotations

import re
from typing import Literal

Command = Literal["next", "repeat", "skip", "pause", "stop"]
COMMANDS: tuple[Command, ...] = ("next", "repeat", "skip", "pause", "stop")

_PATTERNS: list[tuple[Command, re.Pattern[str]]] = [
    ("stop", re.compile(r"\b(stop|quit|exit|end (the|this) (interview|session)|(i'm|i am|we're|we are) done|that's (enough|all)|finish (here|now|the interview))\b")),
    ("pause", re.compile(r"\b(pause|wait|hold on|hang on|break|give me a (minute|moment|second|sec)|one (moment|minute|second))\b")),
    ("skip", re.compile(r"\b(skip|pass|another question|different question)\b")),
    ("repeat", re.compile(r"\b(repeat|again|one more time|retry|redo|say that)\b")),
    ("next", re.compile(r"\b(next|continue|go on|go ahead|carry on|move on|ready|resume|proceed|let's go|yes|yeah|yep|okay|ok|sure|start)\b")),
]

# Typed at the prompt: a letter, a word, or just Enter for "next".
KEYS: dict[str, Command] = {"": "next", "n": "next", "r": "repeat", "s": "skip", "p": "pause", "q": "stop"}

HELP = "next, repeat, skip, pause or stop"


def match_command(text: str) -> Command | None:
    """The command in a spoken or typed reply, or None if there is none."""
    t = " ".join(re.findall(r"[a-z']+", text.lower().replace("’", "'")))
    for command, pattern in _PATTERNS:
        if pattern.search(t):
            return command
    return None


def typed_command(line: str) -> Command | None:
    """A line typed at the between-questions prompt."""
    key = line.strip().lower()
    return KEYS.get(key) or match_command(key)
