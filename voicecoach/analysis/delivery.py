"""Delivery metrics from word timings (and the waveform, when given): pure code, no models.

Whisper places word edges to within a few tenths of a second and often lets a
word run on into the silence after it, so when the audio is given, word edges
next to a pause are moved onto the silence measured in the waveform
(``align_to_audio``) before anything is timed. Pitch and loudness come from
``prosody``; word-choice measures (repetition, vocabulary, pronouns) from
``wording``."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from voicecoach.analysis import wording
from voicecoach.models import Card, Delivery, Filler, LengthCheck, PaceWindow, Pause, PauseClasses, Transcript, Word
from voicecoach.analysis.wording import PURE_FILLERS, norm

if TYPE_CHECKING:
    import numpy as np

# Fillers only when set off by a pause or comma, or opening a sentence ("So, ...").
CONTEXT_FILLERS = {"like", "so", "basically", "actually", "literally", "right", "well"}
CONTEXT_PHRASES = [("you", "know"), ("i", "mean"), ("kind", "of"), ("sort", "of")]
HEDGES = [("i", "think"), ("i", "guess"), ("i", "believe"), ("sort", "of"), ("kind", "of"), ("maybe",), ("probably",), ("perhaps",), ("possibly",), ("i'm", "not", "sure")]

LONG_PAUSE_S = 1.0  # a pause listeners notice as hesitation
BRIEF_PAUSE_S = 0.2  # shorter gaps are ordinary phrasing
SET_OFF_GAP_S = 0.3  # a gap this long around a word sets it off like a comma
ARTICULATION_PAUSE_S = 0.25  # gaps longer than this are pauses, not articulation (the usual cut-off in fluency research)
PACE_WINDOW_S = 10.0  # pace is also reported per 10 s of speech
TREND_CHANGE = 0.15  # the last third faster or slower than the rest by this much is a trend
TREND_MIN_S, TREND_MIN_WORDS = 15.0, 20  # shorter answers have no meaningful trend
MAX_ONSET_SHIFT_S = 1.0  # Whisper's first/last word edges are trusted to within this
LENGTH_FAR_OFF = 0.25  # outside the target range by a quarter of the bound: worth a sentence


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
        gap = round(b.start - a.end, 3)  # to the millisecond: 3.8 - 3.6 is 0.2, not 0.19999
        if gap > min_s:
            out.append(Pause(start=round(a.end, 2), duration_s=round(gap, 2), before_word=norm(b.word)))
    return out


# ------------------------------------------------------------ audio alignment


def align_to_audio(words: list[Word], quiet: list[tuple[float, float]]) -> list[Word]:
    """Move word edges onto measured silences.

    Each silence belongs to the word boundary whose surrounding word middles
    enclose its centre; the longest one at a boundary becomes that pause (the
    word before ends where it starts, the word after starts where it ends). A
    boundary with no silence in the audio has no pause: its gap is closed. The
    silence before the first word's middle sets where speech began, the one
    after the last word's middle where it ended (when within
    ``MAX_ONSET_SHIFT_S`` of Whisper's edge)."""
    if not words:
        return []
    n = len(words)
    starts, ends = [w.start for w in words], [w.end for w in words]
    mids = [(a + b) / 2 for a, b in zip(starts, ends)]
    best: dict[int, tuple[float, float]] = {}  # boundary after word k -> (start, end)
    for s, e in quiet:
        k = bisect.bisect_right(mids, (s + e) / 2) - 1  # -1: before the first word; n-1: after the last
        if k == -1:
            keep = k not in best or e > best[k][1]  # the silence nearest the speech
        elif k == n - 1:
            keep = k not in best or s < best[k][0]
        else:
            keep = k not in best or e - s > best[k][1] - best[k][0]
        if keep:
            best[k] = (s, e)
    if -1 in best and abs(best[-1][1] - starts[0]) <= MAX_ONSET_SHIFT_S:
        starts[0] = best[-1][1]
    if n - 1 in best and abs(best[n - 1][0] - ends[-1]) <= MAX_ONSET_SHIFT_S:
        ends[-1] = best[n - 1][0]
    for k in range(n - 1):
        if k in best:
            ends[k], starts[k + 1] = best[k]
        elif starts[k + 1] > ends[k]:
            ends[k] = starts[k + 1] = (ends[k] + starts[k + 1]) / 2
    return [w.model_copy(update={"start": round(a, 3), "end": round(max(a, b), 3)}) for w, a, b in zip(words, starts, ends)]


# ---------------------------------------------------------------- pace and pauses


def _mids(words: list[Word]) -> list[float]:
    return [(w.start + w.end) / 2 for w in words]


def pace_windows(words: list[Word]) -> list[PaceWindow]:
    """Words per minute per 10 s of the spoken span (a last piece under 5 s
    joins the window before it); words count where their middle falls."""
    if not words:
        return []
    t0, t1 = words[0].start, words[-1].end
    span = t1 - t0
    count = max(1, int(span // PACE_WINDOW_S) + (span % PACE_WINDOW_S >= PACE_WINDOW_S / 2))
    edges = [t0 + PACE_WINDOW_S * i for i in range(count)] + [t1]
    mids = _mids(words)
    out = []
    for i, (a, b) in enumerate(zip(edges, edges[1:])):
        last = i == count - 1
        k = sum(a <= m < b or (last and m == b) for m in mids)
        out.append(PaceWindow(start=round(a, 1), wpm=round(k / max(b - a, 1e-6) * 60, 1)))
    return out


def articulation_wpm(words: list[Word]) -> float:
    """Words per minute of speaking time: the span less its pauses over 0.25 s."""
    if not words:
        return 0.0
    paused = sum(g for g in _gaps(words) if g > ARTICULATION_PAUSE_S)
    speaking = max(words[-1].end - words[0].start - paused, 1e-6)
    return round(len(words) / speaking * 60, 1)


def pace_trend(words: list[Word]) -> str | None:
    """Compare the pace of the last third of the span with the first two
    thirds; None when the answer is too short to tell."""
    if len(words) < TREND_MIN_WORDS or words[-1].end - words[0].start < TREND_MIN_S:
        return None
    t0, t1 = words[0].start, words[-1].end
    cut = t0 + 2 * (t1 - t0) / 3
    mids = _mids(words)
    early = sum(m < cut for m in mids) / (cut - t0)
    late = sum(m >= cut for m in mids) / (t1 - cut)
    change = late / max(early, 1e-6) - 1
    if change > TREND_CHANGE:
        return "sped up at the end"
    if change < -TREND_CHANGE:
        return "slowed down at the end"
    return "steady"


def _gaps(words: list[Word]) -> list[float]:
    return [round(b.start - a.end, 3) for a, b in zip(words, words[1:])]


def classify_pauses(words: list[Word]) -> PauseClasses:
    """Every gap between words: brief (< 0.2 s), medium (0.2-1 s), long (> 1 s)."""
    gaps = [g for g in _gaps(words) if g > 0]
    long = sum(g > LONG_PAUSE_S for g in gaps)
    medium = sum(BRIEF_PAUSE_S <= g <= LONG_PAUSE_S for g in gaps)
    return PauseClasses(brief=len(gaps) - long - medium, medium=medium, long=long)


# ------------------------------------------------------------------------ length


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def check_length(answer_s: float, card: Card) -> LengthCheck:
    """The spoken length against the card's target range; advice only when far off."""
    lo, hi = card.target_range_s
    verdict = "short" if answer_s < lo else "long" if answer_s > hi else "ok"
    advice = ""
    if answer_s < lo * (1 - LENGTH_FAR_OFF):
        more = "the situation, what you did and the result" if card.is_behavioral else "an example, the trade-offs and when you would choose otherwise"
        advice = f"Your answer took {_clock(answer_s)}; interviewers expect {lo} to {hi} seconds here. Develop it: {more}."
    elif answer_s > hi * (1 + LENGTH_FAR_OFF):
        advice = f"Your answer took {_clock(answer_s)}; aim for {lo} to {hi} seconds. Lead with the answer, then give one example and stop."
    return LengthCheck(verdict=verdict, answer_s=round(answer_s, 1), target_min_s=lo, target_max_s=hi, advice=advice)


# ------------------------------------------------------------------------ measure


def measure(
    transcript: Transcript,
    duration_s: float | None = None,
    audio: np.ndarray | None = None,
    card: Card | None = None,
    sample_rate: int = 16000,
) -> Delivery:
    """Delivery metrics for one answer. With ``audio`` (16 kHz mono float32,
    the recording the transcript came from) pause edges are measured on the
    waveform and the voice is measured; with ``card`` the length is checked."""
    if duration_s is None and audio is not None:
        duration_s = len(audio) / sample_rate
    duration = duration_s if duration_s is not None else (transcript.duration_s or (transcript.words[-1].end if transcript.words else 0.0))
    words, timings_from, voice = transcript.words, "words", None
    if audio is not None:
        from voicecoach.analysis import prosody  # numpy, only when there is audio

        quiet = prosody.silences(audio, sample_rate) if words else None
        if quiet is not None:
            words, timings_from = align_to_audio(words, quiet), "audio"
        voice = prosody.measure_voice(audio, sample_rate)
    if not words:
        return Delivery(duration_s=round(duration, 2), word_count=0, words_per_minute=0.0, filler_count=0, fillers=[],
                        fillers_per_minute=0.0, pause_count=0, pauses=[], longest_pause_s=0.0, time_to_first_word_s=round(duration, 2),
                        voice=voice, length=check_length(0.0, card) if card else None)
    # Pace over the span actually spoken: leading and trailing silence (the
    # thinking time before, the end-of-answer silence after) are not counted.
    span = max(words[-1].end - words[0].start, 1e-6)
    fillers = find_fillers(words)
    long_pauses = find_pauses(words, LONG_PAUSE_S)
    all_gaps = find_pauses(words)
    hedges = find_hedges(words)
    longest = max(all_gaps, key=lambda p: p.duration_s, default=None)
    pronouns = wording.count_pronouns(words)
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
        longest_pause_s=round(longest.duration_s if longest else 0.0, 2),
        time_to_first_word_s=round(words[0].start, 2),
        hedge_count=len(hedges),
        hedges=hedges,
        timings_from=timings_from,
        pace_windows=pace_windows(words),
        articulation_wpm=articulation_wpm(words),
        pace_trend=pace_trend(words),
        pause_classes=classify_pauses(words),
        longest_pause=longest,
        repetition=wording.find_repetition(words),
        vocabulary_variety=wording.vocabulary_variety(words),
        i_count=pronouns["i"],
        we_count=pronouns["we"],
        voice=voice,
        length=check_length(span, card) if card else None,
    )
