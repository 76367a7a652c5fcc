"""Typed messages that flow between voicecoach's stages.

Every stage takes and returns these pydantic models; adapters convert library
objects into them at their boundary. Records that must not drift are frozen and
reject unknown fields.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Difficulty = Literal["Easy", "Medium", "Hard"]
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,80}$"


class Strict(BaseModel):
    """Base for records: immutable, unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- cards


class MistakeKind(str, Enum):
    claim = "claim"  # a wrong thing the candidate could say
    omission = "omission"  # something left out; maps to a key point


_OMISSION_START = re.compile(r"^(not|no|never|does not|doesn't|fails to|forgets|forgetting|omits|omitting|skips|skipping|ignores|ignoring|missing)\b", re.I)


class Mistake(Strict):
    text: str = Field(min_length=5)
    kind: MistakeKind
    # For omissions: 1-based index of the key point whose absence this is.
    key_point: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value):
        # A bare string is accepted; its kind is inferred from its wording.
        if isinstance(value, str):
            kind = "omission" if _OMISSION_START.match(value.strip()) else "claim"
            return {"text": value, "kind": kind}
        return value


class CardOrigin(Strict):
    """Where a generated card came from (absent on hand-written cards)."""

    generated_by: str  # the LLM that wrote it
    prompt_version: str  # e.g. cardgen-v1
    plan: str = ""  # the interview plan it was written for
    sources: list[str] = Field(default_factory=list)  # the documents' file names
    answers_to: str = ""  # the phrase of the job description or résumé it probes
    created_at: str = ""


STORY_CATEGORIES = {"leadership", "teamwork", "soft skills", "soft-skills", "communication", "conflict", "culture", "culture fit", "situational", "star", "people"}
STORY_QUESTION = re.compile(
    r"^\s*(tell (me|us) about|describe|give (me |us )?an example of|walk (me|us) through|talk about|share)\b[^?]*\b(a|an|one|the last) "
    r"(time|situation|occasion|moment|project|instance|case|example|mistake|failure|conflict|disagreement)\b", re.I)


class Card(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=8)
    category: str = Field(min_length=2)
    difficulty: Difficulty
    why_asked: str = Field(min_length=20)
    how_to_answer: str = Field(min_length=20)
    key_points: list[str] = Field(min_length=1, max_length=8)
    sample_answer: str = Field(min_length=40)
    common_mistakes: list[Mistake] = Field(min_length=1, max_length=6)
    tags: list[str] = Field(default_factory=list)
    # Seconds the candidate gets to answer; None means the category default.
    time_limit_s: int | None = Field(default=None, ge=10, le=1800)
    # Set on cards an LLM wrote for an interview plan.
    origin: CardOrigin | None = None

    @field_validator("key_points")
    @classmethod
    def _non_blank_points(cls, points: list[str]) -> list[str]:
        for i, p in enumerate(points, 1):
            if len(p.strip()) < 5:
                raise ValueError(f"key point {i} is empty or too short")
        return points

    @model_validator(mode="after")
    def _omissions_point_at_key_points(self):
        for m in self.common_mistakes:
            if m.key_point is not None and m.key_point > len(self.key_points):
                raise ValueError(
                    f"mistake {m.text!r} refers to key point {m.key_point}, but the card has {len(self.key_points)}"
                )
        return self

    @property
    def is_behavioral(self) -> bool:
        """A story about the candidate's past: the category says so
        ("behavioral", "leadership", ...), or the question asks for a time
        they did something, as cards written by users often do whatever
        their category."""
        category = self.category.lower()
        return category.startswith("behavio") or category in STORY_CATEGORIES or bool(STORY_QUESTION.search(self.title))

    @property
    def answer_limit_s(self) -> int:
        """Hard stop for recording: the card's limit, else a category default."""
        if self.time_limit_s:
            return self.time_limit_s
        return 180 if self.is_behavioral else 150

    @property
    def target_range_s(self) -> tuple[int, int]:
        """The answer length interviewers expect (seconds)."""
        return (90, 150) if self.is_behavioral else (60, 120)


# ---------------------------------------------------------------------- recording


class Recording(Strict):
    path: str
    sample_rate: int
    duration_s: float
    # Why recording stopped: silence | phrase | enter | time_limit | interrupted | file | end_of_input
    stop_reason: str = "file"


class Word(Strict):
    word: str
    start: float
    end: float
    probability: float | None = None


class Transcript(Strict):
    text: str
    words: list[Word] = Field(default_factory=list)
    language: str = "en"
    engine: str = ""
    model: str = ""
    duration_s: float | None = None


# ----------------------------------------------------------------------- delivery


class Filler(Strict):
    word: str
    start: float


class Pause(Strict):
    start: float
    duration_s: float
    before_word: str = ""


class PaceWindow(Strict):
    start: float  # seconds into the recording
    wpm: float


class PauseClasses(Strict):
    """Every gap between words, by length."""

    brief: int  # under 0.2 s: normal phrasing
    medium: int  # 0.2 to 1 s: a breath, a comma
    long: int  # over 1 s: heard as hesitation


class Repetition(Strict):
    repeated_word_count: int  # immediate repeats, "the the"
    repeated_words: list[str] = Field(default_factory=list)  # examples
    repeated_phrase_count: int  # distinct 3-word phrases said more than once
    repeated_phrases: list[str] = Field(default_factory=list)  # examples


class Voice(Strict):
    """Pitch and loudness from the waveform, over voiced frames."""

    pitch_median_hz: float
    pitch_variation_st: float  # std of pitch in semitones within 8 s windows, median over windows
    monotone: bool  # pitch variation under 2 semitones
    loudness_variation_db: float  # std of frame level in dB
    flat: bool  # loudness variation under 3 dB
    voiced_s: float  # seconds of voicing the measures rest on


class LengthCheck(Strict):
    verdict: Literal["short", "ok", "long"]
    answer_s: float  # first word to last word
    target_min_s: int
    target_max_s: int
    advice: str = ""  # set when the answer is far outside the range


class Delivery(Strict):
    duration_s: float
    word_count: int
    words_per_minute: float
    filler_count: int
    fillers: list[Filler]
    fillers_per_minute: float
    pause_count: int  # pauses longer than 1 s
    pauses: list[Pause]
    longest_pause_s: float
    time_to_first_word_s: float
    hedge_count: int = 0
    hedges: list[str] = Field(default_factory=list)
    # Added with issue 5; all optional so older records still load.
    timings_from: Literal["words", "audio"] = "words"  # "audio": pause edges measured on the waveform
    pace_windows: list[PaceWindow] = Field(default_factory=list)  # words per minute per 10 s
    articulation_wpm: float | None = None  # words per minute, pauses over 0.25 s left out
    pace_trend: Literal["steady", "sped up at the end", "slowed down at the end"] | None = None
    pause_classes: PauseClasses | None = None
    longest_pause: Pause | None = None
    repetition: Repetition | None = None
    vocabulary_variety: float | None = None  # type-token ratio of content words (MATTR over 50)
    i_count: int = 0  # "I", "I'm", "I've"...
    we_count: int = 0  # "we", "we're", "we've"...
    voice: Voice | None = None  # only when the audio was given
    length: LengthCheck | None = None  # only when the card was given


# -------------------------------------------------------------------------- judge

KeyPointVerdict = Literal["covered", "partial", "missing"]
MistakeVerdict = Literal["made", "not_made", "unsure"]


class KeyPointResult(Strict):
    key_point: str
    verdict: KeyPointVerdict
    evidence: str = ""
    evidence_start_s: float | None = None
    similarity: float | None = None
    # How sure the judge is of this verdict, 0..1 (None: not estimated).
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    note: str = ""


class MistakeResult(Strict):
    mistake: str
    kind: MistakeKind
    verdict: MistakeVerdict
    evidence: str = ""
    # How sure the judge is of this verdict, 0..1 (None: not estimated).
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    note: str = ""


class Scores(Strict):
    structure: int = Field(ge=1, le=5)
    delivery: int | None = Field(default=None, ge=1, le=5)  # None: not measured (a typed answer)
    coverage: int = Field(ge=1, le=5)
    overall: int = Field(ge=0, le=100)


class JudgeInfo(Strict):
    kind: Literal["llm", "offline"]
    model: str
    prompt_version: str
    note: str = ""  # e.g. why the offline judge took over


class Verdicts(Strict):
    key_points: list[KeyPointResult]
    mistakes: list[MistakeResult]
    scores: Scores
    fixes: list[str]
    structure_notes: list[str] = Field(default_factory=list)
    improved_answer: str = ""
    judge: JudgeInfo
    disagreements: list[str] = Field(default_factory=list)  # LLM vs offline cross-check

    def covered_share(self) -> float:
        """The share of the key points covered (a partial one counts half)."""
        if not self.key_points:
            return 0.0
        got = sum(1.0 if k.verdict == "covered" else 0.5 if k.verdict == "partial" else 0.0 for k in self.key_points)
        return got / len(self.key_points)


# ------------------------------------------------------------------------ results


class Feedback(Strict):
    fixes: list[str]
    spoken: str


class AttemptResult(Strict):
    """One scored answer: the unit of the --json contract."""

    schema_version: int = 1
    attempt_id: str | None = None
    card_id: str
    card_title: str
    # What the interviewer asked (the card's title, or a follow-up question),
    # and for a follow-up the attempt it follows.
    prompt: str | None = None
    parent_id: str | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    answer_source: Literal["microphone", "file", "text"]
    audio_path: str | None = None
    stop_reason: str | None = None
    transcript: Transcript
    delivery: Delivery | None
    key_points: list[KeyPointResult]
    mistakes: list[MistakeResult]
    scores: Scores
    fixes: list[str]
    structure_notes: list[str] = Field(default_factory=list)
    improved_answer: str = ""
    spoken_feedback: str = ""
    judge: JudgeInfo
    # Where the offline cross-check disagrees with the LLM judge.
    disagreements: list[str] = Field(default_factory=list)
