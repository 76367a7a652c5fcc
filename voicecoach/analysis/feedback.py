"""Verdicts + delivery -> the fixes that matter, written and spoken."""

from __future__ import annotations

import re

from voicecoach.models import Delivery, Feedback, Verdicts


def _fmt_time(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def delivery_fixes(delivery: Delivery | None, key_points=(), baseline: list[Delivery] | None = None) -> list[str]:
    """Delivery advice that names the moment, most useful first."""
    from voicecoach.analysis.moments import compare_to_baseline, pause_moments

    if delivery is None or delivery.word_count == 0:
        return []
    out = []
    personal = compare_to_baseline(delivery, baseline or [])
    if delivery.fillers_per_minute > 3 and delivery.filler_count >= 3:
        common = max(set(f.word for f in delivery.fillers), key=lambda w: sum(f.word == w for f in delivery.fillers))
        out.append(f"Cut the fillers: you said {delivery.filler_count} ({delivery.fillers_per_minute:.1f} a minute), most often \"{common}\". Pause silently instead.")
    moments = pause_moments(delivery, list(key_points))
    if delivery.pauses:
        p = max(delivery.pauses, key=lambda p: p.duration_s)
        if p.duration_s >= 2.0:
            named = next((m for m in moments if m.startswith(f"a {p.duration_s:.1f} s pause")), None)
            where = named or f"a {p.duration_s:.1f} s pause at {_fmt_time(p.start)}, just before \"{p.before_word}\""
            out.append(f"Plan before you speak: {where}.")
    pace = next((x for x in personal if "wpm" in x), None)
    if delivery.words_per_minute > 185:
        out.append(f"Slow down: {pace or f'{delivery.words_per_minute:.0f} words per minute'} is fast; aim for 120 to 165.")
    elif 0 < delivery.words_per_minute < 100:
        out.append(f"Speak a little faster: {pace or f'{delivery.words_per_minute:.0f} words per minute'}; aim for 120 to 165.")
    trend = getattr(delivery, "pace_trend", None)
    if trend and trend != "steady" and not out:
        out.append(f"Keep an even pace: you {trend}.")
    length = getattr(delivery, "length", None)
    if length is not None and length.advice:
        out.append(length.advice)
    voice = getattr(delivery, "voice", None)
    if voice is not None and voice.monotone:
        out.append("Vary your pitch: your voice stayed flat; stress the key words of each point.")
    for x in personal:
        if "more than your usual" in x or "longer than your usual" in x:
            out.append(f"Compared with your other answers: {x}.")
    return out


def build(verdicts: Verdicts, delivery: Delivery | None, baseline: list[Delivery] | None = None) -> Feedback:
    """Content first (missed points, wrong claims), then one delivery fix."""
    content = list(verdicts.fixes)
    d = delivery_fixes(delivery, verdicts.key_points, baseline)
    fixes = content[:2] + d[:1] if d else content[:3]
    if len(fixes) < 3:
        fixes += [f for f in content[2:] + d[1:] if f not in fixes][: 3 - len(fixes)]
    if not fixes:
        fixes = ["Strong answer. Keep it this crisp in the real interview."]
    return Feedback(fixes=fixes[:3], spoken=spoken_summary(verdicts, fixes[:3]))


def _spoken_clock(seconds: float) -> str:
    """1:40 read out: "1 minute 40 seconds" (not "1 minutes")."""
    m, s = divmod(int(round(seconds)), 60)
    parts = ([f"{m} minute" + ("s" if m != 1 else "")] if m else []) + ([f"{s} second" + ("s" if s != 1 else "")] if s or not m else [])
    return " ".join(parts)


def _speakable(text: str) -> str:
    text = re.sub(r"(\d+(?:\.\d+)?) s\b", r"\1 seconds", text)
    text = re.sub(r"(\d+):(\d\d)", lambda m: _spoken_clock(int(m.group(1)) * 60 + int(m.group(2))), text)
    text = text.replace('"', "").replace("%", " percent")
    return re.sub(r"\s+", " ", text).strip()


def spoken_summary(verdicts: Verdicts, fixes: list[str]) -> str:
    covered = sum(k.verdict == "covered" for k in verdicts.key_points)
    total = len(verdicts.key_points)
    opening = f"You scored {verdicts.scores.overall} out of 100, and covered {covered} of {total} key points."
    if len(fixes) == 1:
        body = "One thing to work on. " + fixes[0]
    else:
        ordinals = ["First", "Second", "Third"]
        body = f"{len(fixes)} things to work on. " + " ".join(f"{ordinals[i]}, {_after_comma(f)}" for i, f in enumerate(fixes))
    return _speakable(f"{opening} {body}")


# The opener's verdict on the length only this far inside or outside the
# target range: the voice activity detector's span (what the opener hears) and
# the words' span (what the report measures) differ by a few tenths.
OPENER_MARGIN_S = 3.0


def opener(answer_s: float, target_s: tuple[int, int]) -> str:
    """The first words after an answer, spoken the moment its end is decided,
    before the end of it is transcribed: its length, the one measure that
    needs no words (``answer_s``: first to last speech, by the voice activity
    detector), and whether that suits the question. The scored summary
    follows."""
    lo, hi = target_s
    m, s = divmod(int(round(answer_s)), 60)
    said = "Thanks, " + (f"{m} minute{'s' if m != 1 else ''}" + (f" {s}" if s else "") if m else f"{s} seconds")
    if lo + OPENER_MARGIN_S <= answer_s <= hi - OPENER_MARGIN_S:
        return f"{said}: a good length."
    if answer_s < lo - OPENER_MARGIN_S:
        return f"{said}: on the short side."
    if answer_s > hi + OPENER_MARGIN_S:
        return f"{said}: on the long side."
    return f"{said}."


def _after_comma(sentence: str) -> str:
    """A sentence continued after "First, ": its first word lowercased,
    unless it is "I" or a name ("I could not confirm", "MSE ...")."""
    first = sentence.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or (len(first) > 1 and first[1:2].isupper()):
        return sentence
    return sentence[:1].lower() + sentence[1:]
