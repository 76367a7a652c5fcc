"""Word choice, from the words alone: repetition, vocabulary variety, pronouns.

A leaf module (no timings, no audio); ``delivery`` builds on it."""

from __future__ import annotations

import re
from collections import Counter

from voicecoach.models import Repetition, Word

# Always fillers, whatever the context.
PURE_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mhm"}

# Function words: left out of vocabulary variety and of repeated phrases
# ("it is a" said twice is grammar, not repetition).
STOPWORDS = set(
    """a about above after again against all also am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for
    from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
    mustn't my myself no nor not now of off on once one only or other ought our ours ourselves out over own really
    same she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under until up us very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
    why's will with won't would wouldn't yeah yes you you'd you'll you're you've your yours yourself yourselves
    okay ok well right actually basically kind sort thing things""".split()
)
I_FORMS = {"i", "i'm", "i've", "i'd", "i'll", "im", "ive"}
WE_FORMS = {"we", "we're", "we've", "we'd", "we'll", "weve"}
GRAMMATICAL_DOUBLES = {"that", "had"}  # "that that", "had had" can be correct English
MATTR_WINDOW = 50  # moving-average type-token ratio window: robust to answer length
MIN_CONTENT_WORDS = 10  # fewer content words than this give no meaningful variety
MAX_EXAMPLES = 3


def norm(token: str) -> str:
    return re.sub(r"[^a-z0-9']", "", token.lower().replace("\u2019", "'")).strip("'")


def find_repetition(words: list[Word]) -> Repetition:
    """Immediately repeated words ("the the") and 3-word phrases said more
    than once (only phrases with a content word in them; fillers skipped)."""
    toks = [t for t in (norm(w.word) for w in words) if t and t not in PURE_FILLERS]
    doubles = [a for a, b in zip(toks, toks[1:]) if a == b and a not in GRAMMATICAL_DOUBLES]
    trigrams = Counter(
        tri for tri in zip(toks, toks[1:], toks[2:])
        if any(t not in STOPWORDS for t in tri) and not (tri[0] == tri[1] or tri[1] == tri[2])
    )
    repeated = [(" ".join(tri), n) for tri, n in trigrams.most_common() if n >= 2]
    return Repetition(
        repeated_word_count=len(doubles),
        repeated_words=[f"{w} {w}" for w, _ in Counter(doubles).most_common(MAX_EXAMPLES)],
        repeated_phrase_count=len(repeated),
        repeated_phrases=[p for p, _ in repeated[:MAX_EXAMPLES]],
    )


def content_words(words: list[Word]) -> list[str]:
    toks = (norm(w.word) for w in words)
    return [t for t in toks if t and t not in STOPWORDS and t not in PURE_FILLERS and not t.isdigit()]


def vocabulary_variety(words: list[Word]) -> float | None:
    """Type-token ratio of content words; the moving average over 50-word
    windows (MATTR) once there are 50, so long answers are not penalised for
    being long. None under 10 content words."""
    toks = content_words(words)
    if len(toks) < MIN_CONTENT_WORDS:
        return None
    if len(toks) < MATTR_WINDOW:
        return round(len(set(toks)) / len(toks), 3)
    ratios = [len(set(toks[i : i + MATTR_WINDOW])) / MATTR_WINDOW for i in range(len(toks) - MATTR_WINDOW + 1)]
    return round(sum(ratios) / len(ratios), 3)


def count_pronouns(words: list[Word]) -> dict[str, int]:
    """First person singular vs plural as subjects ("I", "I'm"... vs "we", "we're"...)."""
    toks = [norm(w.word) for w in words]
    return {"i": sum(t in I_FORMS for t in toks), "we": sum(t in WE_FORMS for t in toks)}
