"""Inline SVG charts for the HTML report: pure code, standard library only.

Every function returns an ``<svg>`` string (or "" when there is nothing to
draw); all text that reaches the SVG is HTML-escaped here.
"""

from __future__ import annotations

import math
from html import escape

from voicecoach.models import Delivery, Word
from voicecoach.store.tally import local_time

WINDOW_S = 10.0  # pace is counted per 10-second window: long enough to hold a phrase
TARGET_WPM = (120, 165)  # the pace feedback.py recommends
FLAG_WPM = (100, 185)  # outside this, feedback.py tells the speaker to change pace
WIDTH = 760  # drawing units; the SVG scales to the page width


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def _nice_max(value: float, step: int) -> int:
    return max(step, int(math.ceil(value / step)) * step)


def _svg(height: int, label: str, body: list[str]) -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">'
            + "".join(body) + "</svg>")


def _pace_windows(words: list[Word], delivery: Delivery | None, duration: float, window_s: float) -> list[tuple[float, float, float]]:
    """(start, end, words per minute) per window: the delivery stage's own
    windows when the record has them (added in issue 5), else counted here."""
    given = getattr(delivery, "pace_windows", None) or []
    if given:
        starts = [w.start for w in given] + [duration]
        return [(w.start, max(min(starts[i + 1], w.start + window_s), w.start + 0.1), w.wpm) for i, w in enumerate(given)]
    n = max(1, math.ceil(duration / window_s))
    counts = [0] * n
    for w in words:
        counts[min(n - 1, int(w.start // window_s))] += 1
    out = []
    for i, c in enumerate(counts):
        t0, t1 = i * window_s, min((i + 1) * window_s, duration)
        out.append((t0, t1, c * 60.0 / max(t1 - t0, window_s / 2)))  # a short last window would exaggerate
    return out


def pace_chart(words: list[Word], delivery: Delivery | None, window_s: float = WINDOW_S) -> str:
    """Words per minute in each ``window_s`` window across the answer, with the
    target band, long pauses (shaded) and fillers (dots) marked. Bars carry
    ``data-start`` so clicking one seeks the audio player."""
    if not words:
        return ""
    duration = max(words[-1].end, delivery.duration_s if delivery else 0.0, window_s / 2)
    bars = _pace_windows(words, delivery, duration, window_s)
    height, left, right, top, bottom = 210, 44, 14, 22, 30
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ymax = _nice_max(max(max(b[2] for b in bars), TARGET_WPM[1] + 20), 50)

    def x(t: float) -> float:
        return left + plot_w * min(t, duration) / duration

    def y(v: float) -> float:
        return top + plot_h * (1 - v / ymax)

    body = [f'<rect x="{left}" y="{y(TARGET_WPM[1]):.1f}" width="{plot_w}" height="{y(TARGET_WPM[0]) - y(TARGET_WPM[1]):.1f}" fill="#e3f4e6"/>',
            f'<text x="{WIDTH - right - 4}" y="{y(TARGET_WPM[1]) + 12:.1f}" text-anchor="end" fill="#3b7d4a">target {TARGET_WPM[0]}–{TARGET_WPM[1]} wpm</text>']
    for v in range(0, ymax + 1, 50):
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
                    f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#6b7280">{v}</text>')
    for p in (delivery.pauses if delivery else []):
        x0, x1 = x(p.start), x(p.start + p.duration_s)
        body.append(f'<rect class="seek" data-start="{p.start:.2f}" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2):.1f}" height="{plot_h}" '
                    f'fill="#fca5a5" fill-opacity="0.45"><title>pause {p.duration_s:.1f} s at {fmt_time(p.start)}</title></rect>')
    for t0, t1, r in bars:
        colour = "#60a5fa" if FLAG_WPM[0] <= r <= FLAG_WPM[1] else "#f59e0b"
        body.append(f'<rect class="seek" data-start="{t0:.2f}" x="{x(t0) + 2:.1f}" y="{y(r):.1f}" width="{max(x(t1) - x(t0) - 4, 1):.1f}" '
                    f'height="{y(0) - y(r):.1f}" fill="{colour}" rx="2"><title>{fmt_time(t0)}–{fmt_time(t1)}: {r:.0f} wpm</title></rect>')
    for f in (delivery.fillers if delivery else []):
        body.append(f'<circle class="seek" data-start="{f.start:.2f}" cx="{x(f.start):.1f}" cy="{y(0) - 6:.1f}" r="4.5" fill="#ea580c" '
                    f'stroke="#fff"><title>filler “{escape(f.word)}” at {fmt_time(f.start)}</title></circle>')
    tick = 10 if duration <= 120 else 30 if duration <= 480 else 60
    for t in range(0, int(duration) + 1, tick):
        body.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y(0)}" y2="{y(0) + 4}" stroke="#9ca3af"/>'
                    f'<text x="{x(t):.1f}" y="{y(0) + 16}" text-anchor="middle" fill="#6b7280">{fmt_time(t)}</text>')
    body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(0)}" y2="{y(0)}" stroke="#9ca3af"/>')
    body.append(f'<text x="{left}" y="13" fill="#374151">words per minute, per {window_s:g} s</text>'
                f'<circle cx="{left + 230}" cy="9" r="4.5" fill="#ea580c"/><text x="{left + 240}" y="13" fill="#374151">filler</text>'
                f'<rect x="{left + 290}" y="3" width="14" height="11" fill="#fca5a5" fill-opacity="0.7"/>'
                f'<text x="{left + 309}" y="13" fill="#374151">pause &gt; 1 s</text>'
                f'<rect x="{left + 390}" y="3" width="14" height="11" fill="#f59e0b"/><text x="{left + 409}" y="13" fill="#374151">too slow or fast</text>')
    return _svg(height, "pace across the answer", body)


def _num(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def progress_chart(history: list[dict], unit: str = "attempt") -> str:
    """Overall score (left axis, 0-100) and words per minute (right axis)
    across attempts, oldest first as given. Missing values are skipped."""
    if not history:
        return ""
    height, left, right, top, bottom = 230, 44, 48, 24, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    n = len(history)
    wpms = [_num(h.get("words_per_minute")) for h in history]
    overall = [_num(h.get("overall")) for h in history]
    wmax = _nice_max(max([w for w in wpms if w] + [200]), 50)
    spoken = any(w is not None for w in wpms)  # typed answers only: no words-per-minute axis

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float, vmax: float) -> float:
        return top + plot_h * (1 - max(0.0, min(v, vmax)) / vmax)

    body = []
    for k in range(0, 101, 25):
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(k, 100):.1f}" y2="{y(k, 100):.1f}" stroke="#e5e7eb"/>'
                    f'<text x="{left - 6}" y="{y(k, 100) + 4:.1f}" text-anchor="end" fill="#15803d">{k}</text>'
                    + (f'<text x="{WIDTH - right + 6}" y="{y(k, 100) + 4:.1f}" fill="#1d4ed8">{wmax * k // 100}</text>' if spoken else ""))
    for values, vmax, colour, name in ((wpms, wmax, "#2563eb", "wpm"), (overall, 100, "#16a34a", "overall")):
        pts = [(x(i), y(v, vmax), i, v) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in pts)
            dash = ' stroke-dasharray="5 4"' if name == "wpm" else ""
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for px, py, i, v in pts:
            h = history[i]
            parts = [escape(local_time(h.get("created_at")))]
            if overall[i] is not None:
                parts.append(f"overall {overall[i]:.0f}")
            if h.get("coverage") is not None:
                parts.append(f"coverage {escape(str(h['coverage']))}/5")
            if wpms[i] is not None:
                parts.append(f"{wpms[i]:.0f} wpm")
            if h.get("filler_count") is not None:
                parts.append(f"{escape(str(h['filler_count']))} fillers")
            tip = " · ".join(parts)
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}" stroke="#fff"><title>{tip}</title></circle>')
    step = max(1, math.ceil(n / 8))  # at most ~8 date labels
    for i in range(0, n, step):
        label = escape(local_time(history[i].get("created_at"))[:10])
        body.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="#6b7280">{label}</text>')
    body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9ca3af"/>')
    body.append(f'<line x1="{left}" x2="{left + 22}" y1="10" y2="10" stroke="#16a34a" stroke-width="2"/>'
                f'<text x="{left + 28}" y="14" fill="#374151">overall score (left, 0–100)</text>'
                + (f'<line x1="{left + 210}" x2="{left + 232}" y1="10" y2="10" stroke="#2563eb" stroke-width="2" stroke-dasharray="5 4"/>'
                   f'<text x="{left + 238}" y="14" fill="#374151">words per minute (right)</text>' if spoken else "")
                + f'<text x="{left}" y="{height - 6}" fill="#6b7280">{n} {escape(unit)}{"s" if n != 1 else ""}, oldest first</text>')
    return _svg(height, "progress across attempts", body)
