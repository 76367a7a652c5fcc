"""What the feedback block (templates/_result.html) needs beyond the result
itself: the pace chart, delivery bars and verdict marks, registered as Jinja
globals so any page that includes ``_result.html`` gets them.

``_result.html`` context: ``result`` (an AttemptResult) and ``audio_url``
(the attempt's audio, ``/audio/{attempt_id}``, or None). Clicking an
evidence quote plays that moment of ``audio_url`` (no script file needed)."""

from __future__ import annotations

from markupsafe import Markup

from voicecoach.render.charts import TARGET_WPM, pace_chart
from voicecoach.models import AttemptResult
from voicecoach.web.templating import _env

MARK = {"covered": "✔", "partial": "~", "missing": "✘", "made": "✘", "not_made": "✔", "unsure": "?"}
WORDS = {"covered": "covered", "partial": "partly covered", "missing": "missing",
         "made": "made", "not_made": "not made", "unsure": "cannot tell"}
KIND = {"claim": "wrong claim", "omission": "missing point"}


def result_pace_svg(result: AttemptResult) -> Markup:
    """The words-per-minute chart (inline SVG, escaped by charts.py)."""
    if result.delivery is None or not result.transcript.words:
        return Markup("")
    return Markup(pace_chart(result.transcript.words, result.delivery))


def delivery_bars(result: AttemptResult) -> list[dict]:
    """Simple bars: value, a scale, the good range, and whether it is in it."""
    d = result.delivery
    if d is None:
        return []
    bars = [
        dict(label="Pace", value=d.words_per_minute, shown=f"{d.words_per_minute:.0f} wpm", top=220,
             good=TARGET_WPM, note=f"target {TARGET_WPM[0]}–{TARGET_WPM[1]}"),
        dict(label="Fillers", value=d.fillers_per_minute, shown=f"{d.filler_count} ({d.fillers_per_minute:.1f}/min)", top=12,
             good=(0, 3), note="under 3 a minute"),
        dict(label="Longest pause", value=d.longest_pause_s, shown=f"{d.longest_pause_s:.1f} s", top=8, good=(0, 3),
             note="under 3 s"),
        dict(label="First word after", value=d.time_to_first_word_s, shown=f"{d.time_to_first_word_s:.1f} s", top=10,
             good=(0, 4), note="under 4 s"),
    ]
    for b in bars:
        b["pct"] = max(2.0, min(100.0, 100.0 * b["value"] / b["top"]))
        b["lo"] = 100.0 * b["good"][0] / b["top"]
        b["hi"] = min(100.0, 100.0 * b["good"][1] / b["top"])
        b["ok"] = b["good"][0] <= b["value"] <= b["good"][1]
    return bars


_env.globals.update(result_pace_svg=result_pace_svg, delivery_bars=delivery_bars, verdict_mark=MARK,
                    verdict_words=WORDS, mistake_kind=KIND)


def render_result(result) -> str:
    """The feedback block for a page (``_result.html``)."""
    audio_url = f"/audio/{result.attempt_id}" if result.audio_path and result.attempt_id else None
    return _env.get_template("_result.html").render(result=result, audio_url=audio_url)
