"""Building an interview plan: read the documents, profile the job, rank the
bank and the user's cards, and (with an LLM configured) add new cards written
for this job and this candidate. Also the cards a saved plan runs."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from voicecoach.plan.documents import MAX_CHARS, Document, read_document
from voicecoach.models import Card
from voicecoach.plan.lexicon import BH
from voicecoach.plan.models import PLAN_NAME, DroppedCard, InterviewPlan, PlanItem
from voicecoach.plan.profile import profile as profile_of
from voicecoach.plan.planner import canonical_category, interview_order, rank
from voicecoach.content.questions import BUILTIN_BANK, Bank

OFFLINE_PRIVACY = ("Built on this machine: the documents were read locally and nothing was sent anywhere. "
                   "The saved plan keeps the phrases it quotes, not the documents.")


def llm_privacy(model: str) -> str:
    from voicecoach.plan.cardgen import MAX_DOC_CHARS

    return (f"Sent to {model}: the job description and résumé text (emails, phone numbers and links removed; at most "
            f"{MAX_DOC_CHARS} characters each) to write new cards, then each new card (not the documents) to the judge to check "
            "its sample answer. Audio never leaves this machine.")


@dataclass
class Documents:
    job: Document
    resume: Document | None = None

    @property
    def names(self) -> list[str]:
        return [d.name for d in (self.job, self.resume) if d is not None]

    @property
    def truncated(self) -> list[str]:
        return [f"{d.name} is long; only its first {MAX_CHARS} characters were read" for d in (self.job, self.resume) if d and d.truncated]


def read_documents(job: Path, resume: Path | None = None) -> Documents:
    return Documents(job=read_document(job, "job description"),
                     resume=read_document(resume, "résumé") if resume is not None else None)


def default_name(role: str, company: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", f"{role} {company}".lower()).strip("-")[:48].strip("-") or "plan"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def check_name(name: str) -> str:
    from voicecoach.errors import UsageError

    if not re.match(PLAN_NAME, name):
        raise UsageError(f"plan name {name!r} is not allowed", hint="Use lower-case letters, digits, '.', '_' and '-' (at most 64).")
    return name


def origins(bank: Bank) -> dict[str, str]:
    out = {}
    for cid, card in bank.cards.items():
        if card.origin is not None:
            out[cid] = "generated"
        elif not str(bank.sources.get(cid, "")).startswith(str(BUILTIN_BANK)):
            out[cid] = "user"
    return out


def build(docs: Documents, bank: Bank, n: int, name: str, role: str | None = None, company: str | None = None,
          writer=None, new_cards: int = 0, user_bank: Path | None = None) -> InterviewPlan:
    """The plan; with ``writer`` (a CardWriter), up to ``new_cards`` new cards
    written, checked and saved to ``user_bank``, in place of the weakest picks."""
    started = time.monotonic()
    job, resume = docs.job.text, docs.resume.text if docs.resume else ""
    prof = profile_of(job, resume, role=role, company=company)
    items, mix = rank(prof, list(bank.cards.values()), n, origins(bank))
    generated, dropped, note, model = [], [], "", ""
    if writer is not None and new_cards > 0:
        from voicecoach.plan.cardgen import save_cards

        model = writer.model
        result = writer.write(prof, job, resume, new_cards, [i.title for i in items], set(bank.cards), name, docs.names)
        dropped, note = result.dropped, result.note
        if result.cards and user_bank is not None:
            save_cards(result.cards, user_bank)
        items = _with_generated(items, result.cards, job, resume)
        generated = [c.id for c in result.cards]
        mix = {}
        for it in items:
            mix[it.category] = mix.get(it.category, 0) + 1
    return InterviewPlan(name=name, profile=prof, mix=mix, items=items, documents=docs.names, generated=generated,
                         dropped=[DroppedCard(title=d.title, why=d.why) for d in dropped], llm_model=model, llm_note=note,
                         build_s=round(time.monotonic() - started, 3))


def _with_generated(items: list[PlanItem], cards: list[Card], job: str, resume: str) -> list[PlanItem]:
    """Each new card takes the place of the lowest-scored pick of the largest
    category (the one behavioral minimum is kept)."""
    items = list(items)
    for card in cards:
        counts: dict[str, int] = {}
        for it in items:
            if it.origin != "generated":
                counts[it.category] = counts.get(it.category, 0) + 1
        candidates = [it for it in items if it.origin != "generated" and (it.category != BH or counts.get(BH, 0) > 1)]
        if candidates:
            top = max(counts[it.category] for it in candidates)
            victim = min((it for it in candidates if counts[it.category] == top), key=lambda it: (it.score, it.card_id))
            items.remove(victim)
        phrase = card.origin.answers_to if card.origin else ""
        source = "resume" if phrase and phrase.lower()[:40] in resume.lower() and phrase.lower()[:40] not in job.lower() else "job"
        items.append(PlanItem(card_id=card.id, title=card.title, category=canonical_category(card.category), difficulty=card.difficulty,
                              reason=phrase or "written for this job", reason_source=source, skill="", origin="generated",
                              score=0.0, card=card))
    picks: dict[str, list[PlanItem]] = {}
    for it in items:
        picks.setdefault(it.category, []).append(it)
    order = sorted(picks, key=lambda c: (-len(picks[c]), c))
    return interview_order(picks, {c: len(picks[c]) for c in order})


def plan_cards(plan: InterviewPlan, bank: Bank) -> tuple[list[Card], list[str]]:
    """The cards a plan runs: the bank's current version of each card, or the
    snapshot saved with the plan if the card has gone from the bank."""
    cards, notes = [], []
    for it in plan.items:
        current = bank.cards.get(it.card_id)
        if current is None:
            notes.append(f"{it.card_id} is no longer in the bank; using the copy saved with the plan")
        cards.append(current or it.card)
    return cards, notes
