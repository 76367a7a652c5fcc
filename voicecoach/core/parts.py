"""What a coach is made of: engines built lazily (in the background while
the question plays), the UI protocol a front end implements, and how an
answer is given (microphone, text or file)."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, Protocol, TypeVar

from voicecoach.errors import NoSpeechError, Step
from voicecoach.models import AttemptResult, Card

T = TypeVar("T")


class Lazy(Generic[T]):
    """A component built on first use, or in the background ahead of time
    (while the question is being spoken)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._future: Future | None = None
        self._lock = threading.Lock()

    def prewarm(self) -> None:
        with self._lock:
            if self._future is None:
                self._future = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prewarm").submit(self._factory)

    def get(self) -> T:
        self.prewarm()
        return self._future.result()


class UI(Protocol):
    def show_card(self, card: Card) -> None: ...
    def status(self, message: str) -> Any: ...  # a context manager
    def listening(self) -> Any: ...  # context manager yielding an on_tick callback
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def show_result(self, result: AttemptResult, card: Card) -> None: ...


@dataclass
class Engines:
    synthesizer: Lazy
    transcriber: Lazy
    judge: Lazy
    turn: Lazy | None = None  # end-of-turn model (None inside: not installed)

    def prewarm(self, speak: bool, audio: bool) -> None:
        if speak:
            self.synthesizer.prewarm()
        if audio:
            self.transcriber.prewarm()
            if self.turn is not None:
                self.turn.prewarm()
        self.judge.prewarm()

    def ready(self, speak: bool) -> None:
        """Before the question: only the voice. Whisper and the end-of-turn
        model load in the background once the question plays
        (``listening_prewarm``, from its first sound: they are first needed
        when the answer starts, and the microphone, open already, keeps what
        it hears meanwhile). Waiting for them here put 1-5 s between launch
        and the question's first sound (bench/startup.py). The judge loads
        after the question, while the candidate speaks."""
        if speak:
            self.synthesizer.get()
        else:
            self.listening_prewarm()

    def listening_prewarm(self) -> None:
        for lazy in (self.transcriber, self.turn):
            if lazy is not None:
                lazy.prewarm()


@dataclass
class AnswerInput:
    """Where the answer comes from: exactly one of these is set (or none: the microphone)."""

    text: str | None = None
    file: Path | None = None

    @property
    def source(self) -> str:
        return "text" if self.text is not None else "file" if self.file else "microphone"

    def check(self) -> None:
        """Refuse an empty typed answer before anything is saved for it."""
        if self.text is not None and not self.text.strip():
            raise NoSpeechError("the typed answer is empty", hint="Type your answer.", step=Step("type_answer"))
