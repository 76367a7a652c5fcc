"""The one error hierarchy. Adapters raise these (chained ``from`` the library's
exception); only the front ends turn them into messages (and exit codes).

An error says what went wrong (``message``), what to check in plain words
(``hint``, naming no command or flag) and, as data, the next step a front end
can offer (``step``): the CLI words it as a command line (cli/base.py), the
web app as a link or a button."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """A next step the user can take, for a front end to word. Kinds:
    rescore (attempt_id, session_id?), report_session (session_id),
    score_file (card_id, path), no_speak, list_devices, list_voices,
    list_questions, list_history, type_answer, offline_judge, api_base,
    plan_exists (name), plan_delete (name)."""

    kind: str
    values: dict = field(default_factory=dict)


class VoicecoachError(Exception):
    """Base class. ``hint`` says what the user can check; ``step`` what they can do next."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "", step: Step | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.step = step

    def __str__(self) -> str:
        return self.message


class UsageError(VoicecoachError):
    exit_code = 2


class CardError(VoicecoachError):
    """A question card or bank is malformed or missing."""

    exit_code = 3


class AudioDeviceError(VoicecoachError):
    """No microphone/speaker, PortAudio missing, device lost."""

    exit_code = 4


class AudioFileError(VoicecoachError):
    """An answer file that cannot be read as audio."""

    exit_code = 5


class NoSpeechError(VoicecoachError):
    """The recording held no speech."""

    exit_code = 6


class TranscriptionError(VoicecoachError):
    exit_code = 7


class SpeechSynthesisError(VoicecoachError):
    exit_code = 8


class JudgeError(VoicecoachError):
    """Scoring failed (the LLM judge's failures subclass this)."""

    exit_code = 9


class LLMError(JudgeError):
    """A provider failure, mapped from litellm's many exception classes."""

    def __init__(self, message: str, hint: str = "", reason: str = "error", step: Step | None = None) -> None:
        super().__init__(message, hint, step)
        # no_key | auth | timeout | rate_limit | connection | server | bad_reply | error
        self.reason = reason


class TypedInterrupt(KeyboardInterrupt):
    """Ctrl-C while an answer was being typed: ``text`` is what was typed so far."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StoreError(VoicecoachError):
    exit_code = 10


class DatabaseCorrupt(StoreError):
    """The session database file is damaged. Nothing is written to it; the
    commands that only read show what can still be read."""

    def __init__(self, message: str, hint: str = "", detail: str = "", step: Step | None = None) -> None:
        super().__init__(message, hint, step)
        self.detail = detail  # SQLite's own words, e.g. "database disk image is malformed"


class DatabaseLocked(StoreError):
    """Another process held the database's lock for longer than the busy timeout."""


class DocumentError(VoicecoachError):
    """A job description or résumé that cannot be read as text (missing,
    empty, too large, damaged, scanned, or not a document at all)."""

    exit_code = 11


class PlanError(VoicecoachError):
    """An interview plan that does not exist, or a name already taken."""

    exit_code = 12


class Interrupted(VoicecoachError):
    """Ctrl-C: whatever was recorded so far has been saved."""

    exit_code = 130
