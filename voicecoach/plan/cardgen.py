"""New question cards for one job and one candidate, written by the configured
LLM and held to the bank's standard before they are kept: 3-6 checkable key
points, typed mistakes, and a sample answer that the judge itself scores as
covering every key point. A card that fails gets one repair round; a card that
fails again is dropped (and reported). Kept cards are saved to the user bank
under ``generated/``, marked with their origin."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voicecoach.plan.documents import scrub
from voicecoach.errors import LLMError, VoicecoachError
from voicecoach.content.importer import slug
from voicecoach.judge.text import content_stems
from voicecoach.engines.llm import ChatClient, json_body
from voicecoach.models import Card, CardOrigin, Transcript
from voicecoach.plan.lexicon import CATEGORIES
from voicecoach.plan.models import DroppedCard, JobProfile
from voicecoach.plan.planner import canonical_category
from voicecoach.content.prompts import Prompt, load_prompt

# Characters of each document sent to the model: enough for any real posting
# or CV, and a bound on what leaves the machine.
MAX_DOC_CHARS = 8000
MIN_SAMPLE_WORDS = 60
VAGUE = re.compile(
    r"\b(good|solid|strong|deep|clear|sound|thorough) (understanding|knowledge|grasp|communication|awareness)\b|\bunderstands?\b|"
    r"\bdemonstrat\w+ (knowledge|understanding|experience|ability)\b|\bexplains? (it |this )?(well|clearly)\b|"
    r"\bcommunicat\w+ (well|clearly|effectively)\b|\betc\b\.?|\band so on\b|\bvarious\b|\brelevant (details|experience|examples|points)\b|"
    r"\bshows? (good|strong|an?) ?(understanding|knowledge|skill|awareness)?\b|\bappropriate(ly)?\b|\bbest practices\b|\bis aware of\b|\bfamiliar(ity)? with\b",
    re.I)


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DraftMistake(_Draft):
    text: str
    kind: Literal["claim", "omission"]
    key_point: int | None = None


class DraftCard(_Draft):
    title: str
    category: str
    difficulty: Literal["Easy", "Medium", "Hard"]
    why_asked: str
    how_to_answer: str
    key_points: list[str]
    sample_answer: str
    common_mistakes: list[DraftMistake]
    tags: list[str] = Field(default_factory=list)
    answers_to: str = ""


REPLY_SCHEMA = {"type": "object", "properties": {"cards": {"type": "array", "items": DraftCard.model_json_schema()}}, "required": ["cards"]}


@dataclass
class Generated:
    cards: list[Card] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    dropped: list[DroppedCard] = field(default_factory=list)
    repaired: int = 0
    note: str = ""  # why nothing (or less than asked) came back


def key_point_problems(points: list[str]) -> list[str]:
    """Key points a grader could not check: too few or many, vague, too
    short, or saying the same thing twice."""
    out = []
    if not 3 <= len(points) <= 6:
        out.append(f"it has {len(points)} key points; give 3 to 6")
    stems = []
    for i, p in enumerate(points, 1):
        words = p.split()
        if len(words) < 5:
            out.append(f"key point {i} ({p!r}) is too short to check; state the fact in a full sentence")
        elif len(words) > 40:
            out.append(f"key point {i} is {len(words)} words; split it or cut it to one statement")
        elif VAGUE.search(p):
            out.append(f"key point {i} ({p!r}) is vague ({VAGUE.search(p).group(0)!r}); say what exactly the answer must state")
        elif len(content_stems(p)) < 3:
            out.append(f"key point {i} ({p!r}) has too little content to check")
        stems.append(content_stems(p))
    for i in range(len(stems)):
        for j in range(i + 1, len(stems)):
            a, b = stems[i], stems[j]
            if a and b and len(a & b) / len(a | b) >= 0.7:
                out.append(f"key points {i + 1} and {j + 1} say the same thing")
    return out


def to_card(draft: DraftCard, card_id: str, origin: CardOrigin) -> tuple[Card | None, list[str]]:
    problems = key_point_problems(draft.key_points)
    category = canonical_category(draft.category)
    if category not in CATEGORIES:
        problems.append(f"category {draft.category!r} is not one of: {', '.join(CATEGORIES)}")
    if len(draft.sample_answer.split()) < MIN_SAMPLE_WORDS:
        problems.append(f"the sample answer has {len(draft.sample_answer.split())} words; write at least {MIN_SAMPLE_WORDS}")
    if not draft.common_mistakes:
        problems.append("it lists no common mistakes")
    for i, m in enumerate(draft.common_mistakes, 1):
        if m.kind == "omission" and not (m.key_point and 1 <= m.key_point <= len(draft.key_points)):
            problems.append(f"mistake {i} is an omission but names no key point by its 1-based index")
    if problems:
        return None, problems
    data = draft.model_dump(exclude={"answers_to"})
    data.update(id=card_id, category=category, tags=[slug(t, 4) for t in draft.tags if slug(t, 4)][:4], origin=origin,
                common_mistakes=[m.model_dump() for m in draft.common_mistakes][:6])
    try:
        return Card.model_validate(data), []
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]


def coverage_problems(card: Card, judge) -> list[str]:
    """The judge scores the card's own sample answer: every key point must be covered."""
    try:
        verdicts = judge.judge(card, Transcript(text=card.sample_answer, engine="typed"), None)
    except VoicecoachError as exc:
        return [f"the judge could not score the sample answer ({exc.message})"]
    return [f"the sample answer does not clearly state key point {i} ({k.key_point!r}); the judge found it {k.verdict}"
            for i, k in enumerate(verdicts.key_points, 1) if k.verdict != "covered"]


def parse_cards(text: str) -> list[dict]:
    data = json_body(text)
    cards = data.get("cards") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards):
        raise ValueError('expected {"cards": [ ... ]}')
    return cards


class CardWriter:
    def __init__(self, client: ChatClient, model: str, judge, prompt: Prompt | None = None) -> None:
        self.client = client
        self.model = model
        self.judge = judge
        self.prompt = prompt or load_prompt("cardgen")

    def _ask(self, messages: list[dict]) -> list[dict]:
        reply = self.client.complete(messages, REPLY_SCHEMA, "cards")
        try:
            return parse_cards(reply)
        except ValueError as first:
            retry = messages + [{"role": "assistant", "content": reply[:4000]},
                                {"role": "user", "content": f"Your reply could not be used: {first}. Reply with JSON only: {{\"cards\": [...]}}."}]
            try:
                return parse_cards(self.client.complete(retry, REPLY_SCHEMA, "cards"))
            except ValueError as second:
                raise LLMError(f"{self.model} replied twice without usable cards ({second})", reason="bad_reply") from second

    def _check(self, raw: dict, card_id: str, origin: CardOrigin) -> tuple[Card | None, list[str], str]:
        try:
            draft = DraftCard.model_validate(raw)
        except ValidationError as exc:
            return None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:6]], str(raw.get("title", ""))[:120]
        origin = origin.model_copy(update={"answers_to": draft.answers_to.strip()[:200]})
        card, problems = to_card(draft, card_id, origin)
        if card is not None:
            problems = coverage_problems(card, self.judge)
        return card, problems, draft.title

    def write(self, profile: JobProfile, job: str, resume: str, count: int, taken: list[str], taken_ids: set[str],
              plan: str, sources: list[str]) -> Generated:
        out = Generated()
        skills = "; ".join(f"{s.skill} ({s.phrase})" for s in profile.skills if s.source == "job")[:1500] or "(none recognised)"
        messages = self.prompt.render(role=profile.role, company=profile.company, seniority=profile.seniority, skills=skills,
                                      taken=taken, job=scrub(job)[:MAX_DOC_CHARS], resume=scrub(resume)[:MAX_DOC_CHARS] or "(none given)",
                                      count=count, categories=list(CATEGORIES))
        try:
            drafts = self._ask(messages)
        except LLMError as exc:
            out.note = f"no new cards: {exc.message}"
            return out
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        base = CardOrigin(generated_by=self.model, prompt_version=self.prompt.version, plan=plan, sources=sources, created_at=now)
        used = set(taken_ids)
        for raw in drafts[:count]:
            card_id = _new_id(str(raw.get("title", "")) if isinstance(raw, dict) else "", used)
            card, problems, title = self._check(raw, card_id, base)
            if problems:
                repair = self.prompt.render_repair(card=json.dumps(raw, ensure_ascii=False)[:6000], problems=problems)
                try:
                    fixed = self._ask(messages + [{"role": "user", "content": repair}])
                except LLMError as exc:
                    out.dropped.append(DroppedCard(title=title or "(untitled)", why=f"repair failed: {exc.message}"))
                    continue
                if not fixed:
                    out.dropped.append(DroppedCard(title=title or "(untitled)", why="; ".join(problems)[:300]))
                    continue
                card, problems, title = self._check(fixed[0], card_id, base)
                if problems:
                    out.dropped.append(DroppedCard(title=title or "(untitled)", why="; ".join(problems)[:300]))
                    continue
                out.repaired += 1
            used.add(card.id)
            out.cards.append(card)
        if len(drafts) < count and not out.note:
            out.note = f"{self.model} wrote {len(drafts)} of the {count} cards asked for"
        return out


def _new_id(title: str, used: set[str]) -> str:
    base = ("gen-" + slug(title or "question", 6))[:60].strip("-")
    cid, n = base, 2
    while cid in used:
        cid, n = f"{base}-{n}", n + 1
    used.add(cid)
    return cid


def save_cards(cards: list[Card], user_bank: Path) -> list[Path]:
    """Write each card as YAML under ``<user bank>/generated/``."""
    folder = Path(user_bank) / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for card in cards:
        path = folder / f"{card.id}.yaml"
        data = card.model_dump(mode="json", exclude_none=True)
        header = f"# Written by {card.origin.generated_by} ({card.origin.prompt_version}) for plan {card.origin.plan}; check it before you rely on it.\n"
        path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88), encoding="utf-8")
        paths.append(path)
    return paths
