"""Moments worth naming in feedback, and an answer against the candidate's own
baseline. Pure code over ``Delivery`` and the judge's key-point results.

Both functions return lower-case fragments without a final full stop, so the
caller can embed them ("Plan before you speak: a 3.1 s pause at 0:42, just
before you mentioned regularization.") or list them."""

from __future__ import annotations

import re
import statistics

from voicecoach.models import Delivery, KeyPointResult
from voicecoach.analysis.wording import STOPWORDS

MOMENT_WINDOW_S = 5.0  # a pause ending up to this long before a key point's first words came "before" it
JUST_BEFORE_S = 1.5  # ...and "just before" when it ended within this
EVIDENCE_SLACK_S = 0.5  # Whisper starts words up to this early; a pause may end a little after the quoted start
TOPIC_MAX_WORDS = 4  # a longer subject is not a name; the candidate's own words are quoted instead
QUOTE_WORDS = 8

MIN_HISTORY = 5  # fewer past answers make no baseline
PACE_CHANGE = 0.10  # 10% off the usual pace is audible
FILLER_CHANGE_PER_MIN, FILLER_CHANGE_RATIO = 1.0, 0.3  # at least one a minute and 30% off the usual
PAUSE_CHANGE_S, PAUSE_CHANGE_RATIO = 1.0, 0.5  # at least a second and 50% off the usual

# "Hinge loss is ...", "Dropout (...) ...", "Consistency in CAP means ...": the subject names the topic.
_COPULA = re.compile(r"\s*\(|\s+(?:is|are|means|refers to)\s+")
_ARTICLES = {"a", "an"}  # "the encoder" reads well; "a dropout" does not


def clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def _topic(key_point: str) -> str | None:
    """The subject of a key point when it is a short name ("Hinge loss is
    max(...)" -> "hinge loss"); None otherwise (then the candidate is quoted)."""
    parts = _COPULA.split(key_point.strip(), maxsplit=1)
    if len(parts) < 2:
        return None
    words = parts[0].split()
    if words and words[0].lower() in _ARTICLES:
        words = words[1:]
    if not words or len(words) > TOPIC_MAX_WORDS or not any(w.lower() not in STOPWORDS for w in words):
        return None
    first = words[0]
    if first.isalpha() and first[1:].islower():  # "Hinge" -> "hinge", but "ETL", "R-squared" stay
        words[0] = first.lower()
    return " ".join(words)


def _mention(kp: KeyPointResult) -> str:
    topic = _topic(kp.key_point)
    if topic:
        return f"you mentioned {topic}"
    quote = kp.evidence.strip().strip('"').split()
    if quote:
        more = "..." if len(quote) > QUOTE_WORDS else ""
        return f'you said "{" ".join(quote[:QUOTE_WORDS]).rstrip(",.;")}{more}"'
    return f"you mentioned {' '.join(kp.key_point.split()[:TOPIC_MAX_WORDS]).rstrip(',.;')}..."


def pause_moments(delivery: Delivery | None, key_points: list[KeyPointResult]) -> list[str]:
    """For each key point the candidate reached, the long pause (> 1 s) that
    came closest before its evidence, e.g. "a 3.1 s pause at 0:42, just
    before you mentioned regularization". Each pause is named once; in time order."""
    if delivery is None or not delivery.pauses:
        return []
    used: set[int] = set()
    out = []
    reached = sorted((k for k in key_points if k.evidence_start_s is not None and k.verdict != "missing"), key=lambda k: k.evidence_start_s)
    for kp in reached:
        t = kp.evidence_start_s
        near = [
            i for i, p in enumerate(delivery.pauses)
            if i not in used and -EVIDENCE_SLACK_S <= t - (p.start + p.duration_s) <= MOMENT_WINDOW_S
        ]
        if not near:
            continue
        i = max(near, key=lambda i: delivery.pauses[i].start)
        used.add(i)
        p = delivery.pauses[i]
        when = "just before" if t - (p.start + p.duration_s) <= JUST_BEFORE_S else "a few seconds before"
        out.append(f"a {p.duration_s:.1f} s pause at {clock(p.start)}, {when} {_mention(kp)}")
    return out


def compare_to_baseline(delivery: Delivery, history: list[Delivery]) -> list[str]:
    """Pace, fillers per minute and longest pause against the medians of the
    candidate's past answers (at least 5 with speech), e.g. "171 wpm, faster
    than your usual 142 wpm". Only differences worth mentioning are returned."""
    past = [d for d in history if d.word_count > 0]
    if len(past) < MIN_HISTORY or delivery.word_count == 0:
        return []
    out = []
    wpm, usual_wpm = delivery.words_per_minute, statistics.median(d.words_per_minute for d in past)
    if wpm > usual_wpm * (1 + PACE_CHANGE):
        out.append(f"{wpm:.0f} wpm, faster than your usual {usual_wpm:.0f} wpm")
    elif wpm < usual_wpm * (1 - PACE_CHANGE):
        out.append(f"{wpm:.0f} wpm, slower than your usual {usual_wpm:.0f} wpm")
    fpm, usual_fpm = delivery.fillers_per_minute, statistics.median(d.fillers_per_minute for d in past)
    if fpm - usual_fpm >= FILLER_CHANGE_PER_MIN and fpm > usual_fpm * (1 + FILLER_CHANGE_RATIO):
        out.append(f"{fpm:.1f} fillers a minute, more than your usual {usual_fpm:.1f}")
    elif usual_fpm - fpm >= FILLER_CHANGE_PER_MIN and fpm < usual_fpm * (1 - FILLER_CHANGE_RATIO):
        out.append(f"{fpm:.1f} fillers a minute, fewer than your usual {usual_fpm:.1f}")
    pause, usual_pause = delivery.longest_pause_s, statistics.median(d.longest_pause_s for d in past)
    if pause - usual_pause >= PAUSE_CHANGE_S and pause > usual_pause * (1 + PAUSE_CHANGE_RATIO):
        out.append(f"a longest pause of {pause:.1f} s, longer than your usual {usual_pause:.1f} s")
    elif usual_pause - pause >= PAUSE_CHANGE_S and pause < usual_pause * (1 - PAUSE_CHANGE_RATIO):
        out.append(f"a longest pause of {pause:.1f} s, shorter than your usual {usual_pause:.1f} s")
    return out
