"""Answer structure from code: a direct opening, a reason, an example or a
number, a close; STAR parts for behavioral answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicecoach.models import Card
from voicecoach.judge.text import content_stems, words_of

REASON = re.compile(r"\b(because|since|the reason|that's why|that is why|which means|so that|due to|this means|otherwise|as a result)\b", re.I)
EXAMPLE = re.compile(r"\b(for example|for instance|e\.g\.|such as|say you|imagine|in my (last|previous)|at my|in practice|in one project|\d+(\.\d+)?\s*(%|percent|ms|seconds|x|times)?)\b", re.I)
CLOSE = re.compile(r"\b(so overall|overall|in summary|to summari[sz]e|to sum up|in short|so in short|that's why|that is why|the bottom line|in conclusion|so yes|so the answer|which is why|so i would|so i'd)\b", re.I)

NUM = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred|thousand|million|half|double|twice)"

STAR = {
    "situation": re.compile(r"\b(when i was|at my (last|previous|current|old)|in my (last|previous|current|old|first)|we were|our team|there was|the project|last (year|quarter|month|week)|(a few|about a|a|one|two|three) (years?|months?|weeks?) ago|at the time|one time|there was a time|once,? (when )?i|i was working|i worked (at|on)|i was (a|an|the|on|leading))\b", re.I),
    "task": re.compile(r"\b(my (goal|job|task|role|responsibility)|i was (responsible|asked|tasked)|i needed to|i had to|we needed to|the goal was|the challenge was)\b", re.I),
    "action": re.compile(r"\b(i (decided|built|wrote|set up|shipped|deployed|merged|pushed|proposed|organi[sz]ed|led|talked|met|created|started|reached out|asked|scheduled|analy[sz]ed|changed|introduced|took|worked|made|spoke|pushed|suggested|drafted|rolled|ran|designed|implemented|fixed|sat down|went|told|called|booked|pulled|reverted|added|paired|walked))\b", re.I),
    "result": re.compile(r"\b(as a result|in the end|result was|ended up|eventually|we (shipped|delivered|reduced|cut|increased|saved|launched)|(reduced|cut|increased|improved|saved|grew|dropped|affected|lasted|down for|hit|by)\b[^.]*?\b" + NUM + r"\b|\b" + NUM + r"\s*(%|percent|minutes|hours|days|weeks|users|customers|requests|sessions)|on time|ahead of schedule)", re.I),
    "reflection": re.compile(r"\b(i learned|i learnt|i('ve| have) learned|lesson|takeaway|what i took|i took away|i'd now|i would now|these days i|i always|i now always|next time|in hindsight|looking back|i would (now|do|have)|i'd (do|have)|what i took away|since then|taught me|i now|i realized|i realised|made me)\b", re.I),
}


@dataclass
class StructureReport:
    parts: dict[str, bool]
    notes: list[str]

    @property
    def score(self) -> int:
        """1-5: one point per part present, over a floor of 1."""
        present = sum(self.parts.values())
        total = len(self.parts)
        return max(1, min(5, 1 + round(4 * present / total)))


def _opens_directly(card: Card, text: str) -> bool:
    first = re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    first_words = words_of(first)[:35]
    if len(first_words) < 4:
        return False
    topic = content_stems(card.title + " " + " ".join(card.tags))
    return len(topic & content_stems(" ".join(first_words))) >= 1


def analyse(card: Card, text: str) -> StructureReport:
    if card.is_behavioral:
        parts = {name: bool(rx.search(text)) for name, rx in STAR.items()}
        advice = {
            "situation": "Set the scene first: where you were, the project and what was at stake.",
            "task": "Say what you personally were responsible for.",
            "action": "Describe the actions you took yourself, with 'I', not only 'we'.",
            "result": "End with a measurable result: a number, a date, an outcome.",
            "reflection": "Close with what you learned or would do differently.",
        }
    else:
        parts = {
            "direct_answer": _opens_directly(card, text),
            "reason": bool(REASON.search(text)),
            "example": bool(EXAMPLE.search(text)),
            "close": bool(CLOSE.search(text[-400:])),
        }
        advice = {
            "direct_answer": "Open with a one-sentence direct answer to the question.",
            "reason": "Give the reason behind your answer ('because ...').",
            "example": "Add a concrete example or a number.",
            "close": "Finish with a one-line summary so the interviewer knows you are done.",
        }
    notes = [advice[k] for k, ok in parts.items() if not ok]
    return StructureReport(parts=parts, notes=notes)


# Which STAR part a behavioral key point asks for, as card writers phrase it
# ("Sets the scene", "Context: who asked for what", "Their own steps, in the
# first person", "What happened in the end, ideally with a number", "A lesson
# they took away"). Checked in order: the first match wins.
STAR_OF_POINT = [
    ("ownership", re.compile(r"\b(ownership|owns|takes responsibility|blam|deflect|admits)", re.I)),
    ("perspective", re.compile(r"\b(other person|their view|view and|perspective|underlying concern|understood|listens)", re.I)),
    ("prevention", re.compile(r"\b(lasting|prevent|repeat|safeguard|process change)", re.I)),
    ("reflection", re.compile(r"\b(learn|reflect|differently|afterwards|lesson|takeaway|took away|take away|hindsight|next time|would change)", re.I)),
    ("result", re.compile(r"\b(result|outcome|measurable|measured|metric|number|resolved|impact|effect|delivered|shipped|quantif|what happened|in the end|how it ended|turned out)", re.I)),
    ("task", re.compile(r"\b(goal|responsib|role|task|owned|accountab)", re.I)),
    ("situation", re.compile(r"\b(situation|context|scene|setting|specific|real (event|example)|stakes|at stake|background|describes a|what the (process|project|problem) was)", re.I)),
    ("action", re.compile(r"\b(action|personally|steps|conversation|started|took|'i'|how they|what they did|first person|own (steps|work|actions)|raised it)", re.I)),
]

# Extra STAR-style evidence beyond the five parts.
STAR_EXTRA = {
    "ownership": re.compile(r"\b(my (fault|mistake|responsibility|call|error)|i (own|owned|take|took) (it|full |the )?(responsibility|ownership)?|i should have|i made (a|the) mistake|i was wrong|(that was|it was|that's) (totally |all |entirely )?on me|i messed up|i('d| had)? misread|i forgot|i broke)\b", re.I),
    "perspective": re.compile(r"\b(asked (him|her|them) (why|what)|understand (his|her|their)|from (his|her|their) (side|perspective|point of view)|i listened|(his|her|their) (concern|worry|reason)s?|turned out (he|she|they))\b", re.I),
    "prevention": re.compile(r"\b(lasting fix|postmortem|post-mortem|canary|haven't had|have not had|safeguard|to prevent|so (that )?(it|this) (never|doesn't|does not|won't|can't)|added (a|an) (check|test|alert|guard|step)|since then|now (we|every|there)|never happened again|checklist|runbook|automated)\b", re.I),
}


def star_part(key_point: str) -> str | None:
    """Which STAR part a behavioral key point asks for, from its wording."""
    for part, rx in STAR_OF_POINT:
        if rx.search(key_point):
            return part
    return None


def star_evidence(card: Card, text: str) -> dict[str, str]:
    """For each STAR part found in the answer, the sentence that shows it."""
    out: dict[str, str] = {}
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]
    for part, rx in {**STAR, **STAR_EXTRA}.items():
        for sentence in sentences:
            if rx.search(sentence):
                out[part] = sentence
                break
    return out
