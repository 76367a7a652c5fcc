"""Delivery metrics from word timings: pure code, no models."""

from __future__ import annotations

import re

from .models import Delivery, Filler, Pause, Transcript, Word

# Always fillers, whatever the context.
PURE_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mhm"}
# Fillers only when set off by a pause or comma, or opening a sentence ("So, ...").
CONTEXT_FILLERS = {"like", "so", "basically", "actually", "literally", "right", "well"}
CONTEXT_PHRASES = [("you", "know"), ("i", "mean"), ("kind", "of"), ("sort", "of")]
HEDGES = [("i", "think"), ("i", "guess"), ("i", "believe"), ("sort", "of"), ("kind", "of"), ("maybe",), ("probably",), ("perhaps",), ("possibly",), ("i'm", "not", "sure")]

LONG_PAUSE_S = 1.0  # a pause listeners notice as hesitation
SET_OFF_GAP_S = 0.3  # a gap this long around a word sets it off like a comma


def norm(token: str) -> str:
    return re.sub(r"[^a-z0-9']", "", token.lower())


def _set_off(words: list[Word], i: int, n: int = 1) -> bool:
    """True if words[i:i+n] are set off by a pause or a comma before or after."""
    first, last = words[i], words[i + n - 1]
    before = i == 0 or words[i - 1].word.rstrip().endswith((",", ".", "?", "!", "...")) or first.start - words[i - 1].end >= SET_OFF_GAP_S
    after = (
        i + n >= len(words)
        or last.word.rstrip().endswith((",", "...", "."))
        or words[i + n].start - last.end >= SET_OFF_GAP_S
    )
    sentence_start = i == 0 or words[i - 1].word.rstrip().endswith((".", "?", "!"))
    return (before and after) or (sentence_start and last.word.rstrip().endswith(","))


def find_fillers(words: list[Word]) -> list[Filler]:
    out: list[Filler] = []
    toks = [norm(w.word) for w in words]
    i = 0
    while i < len(words):
        t = toks[i]
        if t in PURE_FILLERS:
            out.append(Filler(word=t, start=words[i].start))
            i += 1
            continue
        matched = False
        for phrase in CONTEXT_PHRASES:
            n = len(phrase)
            if tuple(toks[i : i + n]) == phrase and _set_off(words, i, n):
                out.append(Filler(word=" ".join(phrase), start=words[i].start))
                i += n
                matched = True
                break
        if matched:
            continue
        if t in CONTEXT_FILLERS:
            sentence_start = i == 0 or words[i - 1].word.rstrip().endswith((".", "?", "!"))
            if _set_off(words, i) or (t == "so" and sentence_start and i + 1 < len(words) and words[i].word.endswith(",")):
                out.append(Filler(word=t, start=words[i].start))
        i += 1
    return out


def find_hedges(words: list[Word]) -> list[str]:
    toks = [norm(w.word) for w in words]
    found = []
    for i in range(len(toks)):
        for h in HEDGES:
            if tuple(toks[i : i + len(h)]) == h:
                found.append(" ".join(h))
    return found


def find_pauses(words: list[Word], min_s: float = 0.0) -> list[Pause]:
    out = []
    for a, b in zip(words, words[1:]):
        gap = b.start - a.end
        if gap > min_s:
            out.append(Pause(start=round(a.end, 2), duration_s=round(gap, 2), before_word=norm(b.word)))
    return out


def measure(transcript: Transcript, duration_s: float | None = None) -> Delivery:
    words = transcript.words
    duration = duration_s if duration_s is not None else (transcript.duration_s or (words[-1].end if words else 0.0))
    if not words:
        return Delivery(duration_s=round(duration, 2), word_count=0, words_per_minute=0.0, filler_count=0, fillers=[],
                        fillers_per_minute=0.0, pause_count=0, pauses=[], longest_pause_s=0.0, time_to_first_word_s=round(duration, 2))
    # Pace over the span actually spoken: leading and trailing silence (the
    # thinking time before, the end-of-answer silence after) are not counted.
    span = max(words[-1].end - words[0].start, 1e-6)
    fillers = find_fillers(words)
    long_pauses = find_pauses(words, LONG_PAUSE_S)
    all_gaps = find_pauses(words)
    hedges = find_hedges(words)
    minutes = span / 60
    return Delivery(
        duration_s=round(duration, 2),
        word_count=len(words),
        words_per_minute=round(len(words) / minutes, 1),
        filler_count=len(fillers),
        fillers=fillers,
        fillers_per_minute=round(len(fillers) / minutes, 2),
        pause_count=len(long_pauses),
        pauses=long_pauses,
        longest_pause_s=round(max((p.duration_s for p in all_gaps), default=0.0), 2),
        time_to_first_word_s=round(words[0].start, 2),
        hedge_count=len(hedges),
        hedges=hedges,
    )
