"""Answer structure from code: a direct opening, a reason, an example or a
number, a close; STAR parts for behavioral answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from voicecoach.engines.embed import Embedder
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
    "result": re.compile(r"\b(as a result|in the end|result was|ended up|eventually|we (shipped|delivered|reduced|cut|increased|saved|launched)|(reduced|cut|increased|improved|saved|grew|dropped|raised|lowered)\b[^.]{0,60}?\b(by|to|from) (about |around |roughly |over |under |almost |nearly )?" + NUM + r"\b|(affected|lasted|down for|hit) (about |around |over |almost |nearly )?" + NUM + r"\b|\b" + NUM + r"\s*(%|percent|users|customers|requests|sessions|per cent)|on time|ahead of schedule)", re.I),
    "reflection": re.compile(r"\b(i learned|i learnt|i('ve| have) learned|lesson|takeaway|what i took|i took away|i'd now|i would now|these days i|i always|i now always|next time|in hindsight|looking back|i would (now|do|have)|i'd (do|have)|what i took away|since then|taught me|i now)\b", re.I),
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
    ("reflection", re.compile(r"\b(learn|reflect|differently|afterwards|lesson|takeaway|took away|take away|hindsight|next time|would change|taught|insight|grow|grew|in future|future|carr(y|ies|ied) (it |that )?(forward|into|over)|principle|since then|how they work (now|today)|changed (their|the way|how)|got wrong)", re.I)),
    ("result", re.compile(r"\b(result|outcome|measurable|measured|metric|number|resolved|impact|effect|delivered|shipped|quantif|what happened|in the end|how it ended|turned out|ended|ending|came of|payoff|pay off|figure|deadline (was )?met|achiev|difference it made|benefit|got out of|success|consequence|saving|improvement)", re.I)),
    ("task", re.compile(r"\b(goal|responsib|role|task|owned|accountab|objective|expected of|their part|fell to|target|had to|needed to|assigned|charged with|relied on)", re.I)),
    ("situation", re.compile(r"\b(situation|context|scene|setting|specific|real (event|example|project|job)|stakes|at stake|background|describes a|what the (process|project|problem) was|circumstance|when and where|where they|at the time|state of things|backdrop|actual (job|project|event)|problem they faced|frames the)", re.I)),
    ("action", re.compile(r"\b(action|personally|steps|conversation|started|took|'i'|how they|what they did|first person|own (steps|work|actions)|raised it|did|handled|approach|initiative|effort|contribution|decisions|moves|persuad|chose|choice)", re.I)),
]

# Extra STAR-style evidence beyond the five parts.
STAR_EXTRA = {
    "ownership": re.compile(r"\b(my (fault|mistake|responsibility|call|error)|i (own|owned|take|took) (it|full |the )?(responsibility|ownership)?|i should have|i made (a|the) mistake|i was wrong|(that was|it was|that's) (totally |all |entirely )?on me|i messed up|i('d| had)? misread|i forgot|i broke)\b", re.I),
    "perspective": re.compile(r"\b(asked (him|her|them) (why|what)|understand (his|her|their)|from (his|her|their) (side|perspective|point of view)|i listened|(his|her|their) (concern|worry|reason)s?|turned out (he|she|they))\b", re.I),
    "prevention": re.compile(r"\b(lasting fix|postmortem|post-mortem|canary|haven't had|have not had|safeguard|to prevent|so (that )?(it|this) (never|doesn't|does not|won't|can't)|added (a|an) (check|test|alert|guard|step)|since then|now (we|every|there)|never happened again|checklist|runbook|automated)\b", re.I),
}


# How card writers describe each STAR part, for key points the patterns above
# miss: a key point is matched to the part whose description it is nearest to
# in meaning. Written apart from the phrasings the tests check.
STAR_DESCRIPTIONS = {
    "situation": ["Sets up the situation and the context of the story", "Describes the setting: the company, the team and the problem at hand",
                  "Gives the background the listener needs", "A specific, real event from their past"],
    "task": ["States the candidate's own responsibility in that situation", "Says what they were asked to deliver or decide",
             "Explains the goal they were working towards", "What their job was in the story"],
    "action": ["Describes the actions the candidate took themselves", "Explains what they did and how they went about it",
               "The candidate's own choices and steps, not the team's", "How they approached and dealt with the problem"],
    "result": ["Reports the outcome of their actions", "Gives a measurable result such as a number or a date",
               "Says how the story ended and what it achieved", "The impact the work had"],
    "reflection": ["Reflects on what they learned from it", "Says what they would do differently next time",
                   "A lesson or insight they took from the experience", "How the experience changed the way they work"],
}
STAR_NEIGHBOURS = 5  # the nearest phrasings that vote, weighted by cosine
STAR_FLOOR = 0.35  # below this cosine to every phrasing, a key point is not a STAR part
_star_vectors: dict[tuple[int, tuple[str, ...]], tuple[list[str], np.ndarray]] = {}


def star_phrasings(leave_out: str = "") -> list[tuple[str, str]]:
    """(part, phrasing) pairs: the descriptions and the example sets, less the
    set named ``leave_out`` (for measuring on phrasings not among them)."""
    from voicecoach.judge.star_examples import EXAMPLES

    pairs = [(part, t) for part, texts in STAR_DESCRIPTIONS.items() for t in texts]
    for name, parts in EXAMPLES.items():
        if name != leave_out:
            pairs += [(part, t) for part, texts in parts.items() for t in texts]
    return pairs


def star_part(key_point: str, embedder: Embedder | None = None, leave_out: str = "") -> str | None:
    """Which STAR part a behavioral key point asks for: from its wording, and
    where no pattern matches and an embedder is given, from its meaning (a
    vote of the nearest known phrasings of the parts)."""
    for part, rx in STAR_OF_POINT:
        if rx.search(key_point):
            return part
    if embedder is None:
        return None
    key = (id(embedder), (leave_out,))
    if key not in _star_vectors:
        pairs = star_phrasings(leave_out)
        _star_vectors[key] = ([p for p, _ in pairs], embedder.encode([t for _, t in pairs]))
    names, vectors = _star_vectors[key]
    sims = vectors @ embedder.encode([key_point])[0]
    if sims.max() < STAR_FLOOR:
        return None
    votes: dict[str, float] = {}
    for i in np.argsort(-sims)[:STAR_NEIGHBOURS]:
        votes[names[i]] = votes.get(names[i], 0.0) + float(sims[i])
    return max(votes, key=votes.__getitem__)


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
