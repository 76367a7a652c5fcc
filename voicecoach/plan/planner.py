"""The offline interview plan: a category mix that follows the job, and in each
category the cards that best match what the documents ask for, each with the
phrase it answers to. Deterministic: the same documents and bank give the same
plan."""

from __future__ import annotations

import re
from collections import Counter

from voicecoach.models import Card
from voicecoach.plan.lexicon import BH, CATEGORIES, DL, FAMILY_NAMES, MIXES, ML, SD, SKILLS, SQL, ST
from voicecoach.plan.models import JobProfile, PlanItem
from voicecoach.plan.profile import category_weights

# A skill already given as the reason for a pick counts this much less for the
# next one, so a plan covers several of the job's skills, not one.
REPEAT_DISCOUNT = 0.5
# Hits of one skill in one card (tags and title count double) count as their
# square root, up to this many: a card all about a skill beats one that
# mentions it, without one skill drowning the others.
MAX_HITS = 16
# Seniority's pull towards a difficulty: less than one skill hit, so it only
# orders cards that match the documents equally.
DIFFICULTY_FIT = {
    "junior": {"Easy": 0.4, "Medium": 0.2, "Hard": 0.0},
    "mid": {"Easy": 0.1, "Medium": 0.4, "Hard": 0.2},
    "senior": {"Easy": 0.0, "Medium": 0.2, "Hard": 0.4},
}
# How much the job description's own skills shift the family's mix.
SKILL_SHARE = 0.2
_CANONICAL = ((r"behavio", BH), (r"deep", DL), (r"machine|\bml\b", ML), (r"stat|probab", ST),
              (r"sql|data", SQL), (r"software|system|backend|engineering", SD))


def canonical_category(category: str) -> str:
    """A user's card filed under "SQL" or "System design" joins the bank's
    category of that name."""
    if category in CATEGORIES:
        return category
    for rx, name in _CANONICAL:
        if re.search(rx, category, re.I):
            return name
    return category


def category_mix(profile: JobProfile, n: int, available: Counter) -> dict[str, int]:
    """Questions per category: the family's mix, shifted a little by the
    skills the job description names; at least one behavioral question."""
    skill_w = category_weights(profile.skills)
    total = sum(skill_w.values())
    skill_share = {c: w / total for c, w in skill_w.items()} if total else {}
    base = MIXES[profile.family]
    if profile.family == "general":
        rest = skill_share or {c: 1 / 5 for c in CATEGORIES if c != BH}
        share = {BH: 0.25, **{c: 0.75 * w for c, w in rest.items() if c != BH}}
    else:
        share = {c: (1 - SKILL_SHARE) * base.get(c, 0.0) + SKILL_SHARE * skill_share.get(c, 0.0) for c in set(base) | set(skill_share)}
    share = {c: w for c, w in share.items() if w > 0 and available.get(c)}
    norm = sum(share.values()) or 1.0
    exact = {c: n * w / norm for c, w in share.items()}
    counts = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: (-(exact[c] - counts[c]), c))[: n - sum(counts.values())]:
        counts[c] += 1
    if available.get(BH) and counts.get(BH, 0) == 0:
        donor = max((c for c in counts if c != BH), key=lambda c: (counts[c], c))
        counts[donor] -= 1
        counts[BH] = 1
    # a category with too few cards gives its extra places to the others, in order of share
    order = sorted(share, key=lambda c: (-share[c], c))
    spare = 0
    for c in order:
        if counts.get(c, 0) > available[c]:
            spare += counts[c] - available[c]
            counts[c] = available[c]
    for c in order:
        room = available[c] - counts.get(c, 0)
        take = min(room, spare)
        counts[c] = counts.get(c, 0) + take
        spare -= take
    return {c: k for c, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if k > 0}


def _hits(card: Card) -> dict[str, int]:
    strong = " ".join([card.id.replace("-", " "), card.title, " ".join(t.replace("-", " ") for t in card.tags), " ".join(card.tags)]).lower()
    weak = " ".join(card.key_points).lower()
    out = {}
    for skill in SKILLS:
        h = 2 * len(skill.card.findall(strong)) + len(skill.card.findall(weak))
        if h:
            out[skill.name] = min(h, MAX_HITS)
    return out


def rank(profile: JobProfile, cards: list[Card], n: int, origins: dict[str, str] | None = None) -> tuple[list[PlanItem], dict[str, int]]:
    """Pick ``n`` cards for the job. ``origins`` marks a card id as 'user' or
    'generated' (default 'bank'). Returns the picks in interview order and
    the category mix."""
    origins = origins or {}
    by_cat: dict[str, list[Card]] = {}
    for card in sorted(cards, key=lambda c: c.id):
        by_cat.setdefault(canonical_category(card.category), []).append(card)
    mix = category_mix(profile, n, Counter({c: len(v) for c, v in by_cat.items()}))
    lexicon = {s.name: s.weight for s in SKILLS}
    weights = {s.skill: s.weight * lexicon.get(s.skill, 1.0) for s in profile.skills}
    hits = {c.id: _hits(c) for c in cards}
    fit = DIFFICULTY_FIT.get(profile.seniority, DIFFICULTY_FIT["senior"])
    used: Counter = Counter()
    picks: dict[str, list[PlanItem]] = {}
    for cat, k in mix.items():
        pool = list(by_cat[cat])
        for _ in range(k):
            best = None
            for card in pool:
                contrib = {s: weights[s] * h ** 0.5 * REPEAT_DISCOUNT ** used[s] for s, h in hits[card.id].items() if s in weights}
                score = sum(contrib.values()) + fit.get(card.difficulty, 0.0)
                # the reason: the skill the card is most about, then the one the job stresses most
                top = max(contrib, key=lambda s: (hits[card.id][s], contrib[s], s)) if contrib else ""
                if best is None or score > best[0]:
                    best = (score, card, top)
            score, card, top = best
            pool.remove(card)
            if top:
                used[top] += 1
            picks.setdefault(cat, []).append(_item(profile, card, cat, top, score, origins.get(card.id, "bank")))
    return interview_order(picks, mix), mix


def _item(profile: JobProfile, card: Card, category: str, skill: str, score: float, origin: str) -> PlanItem:
    hit = next((s for s in profile.skills if s.skill == skill), None)
    if hit is not None:
        reason, source = hit.phrase, hit.source
    else:  # nothing in the documents names it: it fills the job's usual mix
        reason, source = f"{profile.role} ({FAMILY_NAMES[profile.family]} interviews ask {category.lower()} questions)", "role"
    return PlanItem(card_id=card.id, title=card.title, category=category, difficulty=card.difficulty, reason=reason,
                    reason_source=source, skill=skill, origin=origin, score=round(score, 2), card=card)


def interview_order(picks: dict[str, list[PlanItem]], mix: dict[str, int]) -> list[PlanItem]:
    """An opener from the behavioral picks, then the technical categories in
    turn (largest share first), then the remaining behavioral questions."""
    behavioral = list(picks.get(BH, []))
    opener = [behavioral.pop(0)] if behavioral else []
    queues = [list(picks[c]) for c in mix if c != BH and c in picks]
    middle = []
    while any(queues):
        for q in queues:
            if q:
                middle.append(q.pop(0))
    return opener + middle + behavioral

