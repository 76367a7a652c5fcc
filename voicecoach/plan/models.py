"""Typed records of interview plans: what was understood from the documents
(JobProfile), each question picked with its reason (PlanItem), and the plan
(InterviewPlan), stored as JSON in the session database."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import Field

from voicecoach.models import Card, Strict

Seniority = Literal["junior", "mid", "senior", "staff", "lead", "manager"]
Family = Literal["ml", "data_eng", "backend", "analyst", "manager", "general"]
Source = Literal["job", "resume", "role"]
PLAN_NAME = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class SkillHit(Strict):
    skill: str
    categories: list[str]
    phrase: str  # the words of the document it was found in
    source: Literal["job", "resume"]  # where the phrase is from (the job description first)
    count: int = 1  # times the job description mentions it
    in_resume: bool = False  # the résumé mentions it too

    @property
    def weight(self) -> float:
        """How much it counts in ranking: the job description's words most,
        more when repeated, a little more when the résumé has them too."""
        if self.source == "resume":
            return 0.5
        return 1.0 + 0.2 * min(self.count - 1, 3) + (0.3 if self.in_resume else 0.0)


class JobProfile(Strict):
    role: str
    company: str = ""
    seniority: Seniority = "mid"
    family: Family = "general"
    years: int | None = None  # years of experience asked for
    skills: list[SkillHit] = Field(default_factory=list)


class PlanItem(Strict):
    card_id: str
    title: str
    category: str
    difficulty: str
    reason: str  # the phrase of the job description or résumé it answers to
    reason_source: Source
    skill: str = ""  # the lexicon skill behind the reason
    origin: Literal["bank", "user", "generated"] = "bank"
    score: float = 0.0
    card: Card  # a snapshot, so the plan runs even if the card file goes


class DroppedCard(Strict):
    title: str
    why: str


class InterviewPlan(Strict):
    schema_version: int = 1
    name: str = Field(pattern=PLAN_NAME)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    profile: JobProfile
    mix: dict[str, int]  # questions per category
    items: list[PlanItem]
    documents: list[str] = Field(default_factory=list)  # file names only
    generated: list[str] = Field(default_factory=list)  # ids of cards an LLM wrote for this plan
    dropped: list[DroppedCard] = Field(default_factory=list)  # written but failed validation twice
    llm_model: str = ""  # the model that wrote cards, if any
    llm_note: str = ""  # why no cards were written, when a model was configured
    build_s: float = 0.0

    @property
    def opening(self) -> str:
        """The interviewer's first sentence: the role (and company)."""
        at = f" at {self.profile.company}" if self.profile.company else ""
        return f"This is a mock interview for the {self.profile.role} role{at}."
