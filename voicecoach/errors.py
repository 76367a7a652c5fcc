"""The one error hierarchy. Adapters raise these (chained ``from`` the library's
exception); only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class VoicecoachError(Exception):
    """Base class. ``hint`` says what the user can do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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

    def __init__(self, message: str, hint: str = "", reason: str = "error") -> None:
        super().__init__(message, hint)
        # no_key | auth | timeout | rate_limit | connection | server | bad_reply | error
        self.reason = reason


class StoreError(VoicecoachError):
    exit_code = 10


class DatabaseCorrupt(StoreError):
    """The session database file is damaged. Nothing is written to it; the
    commands that only read show what can still be read."""

    def __init__(self, message: str, hint: str = "", detail: str = "") -> None:
        super().__init__(message, hint)
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
