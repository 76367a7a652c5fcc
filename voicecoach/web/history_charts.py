"""Small inline SVG charts for the history page: a score sparkline per
category and a verdict strip per key point. Pure code, standard library only;
all text is escaped here. (The big progress chart is charts.progress_chart.)"""

from __future__ import annotations

from html import escape

from voicecoach.store.tally import local_time

VERDICT_COLOUR = {"covered": "#1f7a3a", "partial": "#d39e00", "missing": "#b3261e"}


def sparkline(points: list[tuple[str, float]], width: int = 220, height: int = 56) -> str:
    """Overall score (0-100) across attempts, oldest first: (created_at, score)."""
    if not points:
        return ""
    pad_x, pad_y = 6, 6
    n = len(points)

    def x(i: int) -> float:
        return pad_x + ((width - 2 * pad_x) / 2 if n == 1 else (width - 2 * pad_x) * i / (n - 1))

    def y(v: float) -> float:
        return pad_y + (height - 2 * pad_y) * (1 - max(0.0, min(v, 100.0)) / 100)

    body = [f'<line x1="{pad_x}" x2="{width - pad_x}" y1="{y(50):.1f}" y2="{y(50):.1f}" stroke="#dde1ea" stroke-dasharray="3 3"/>']
    if n > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        body.append(f'<polyline points="{path}" fill="none" stroke="#2856c8" stroke-width="2"/>')
    for i, (when, v) in enumerate(points):
        body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.2" fill="#2856c8" stroke="#fff">'
                    f"<title>{escape(local_time(when))}: {v:.0f}</title></circle>")
    label = f"scores of {n} attempt{'s' if n != 1 else ''}, oldest first, from {points[0][1]:.0f} to {points[-1][1]:.0f}"
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def verdict_strip(verdicts: list[tuple[str, str]], cell: int = 14, gap: int = 3, max_cells: int = 16) -> str:
    """One square per attempt, oldest first, coloured by the key point's
    verdict: (created_at, verdict). Only the latest ``max_cells`` are drawn."""
    if not verdicts:
        return ""
    shown = verdicts[-max_cells:]
    width = len(shown) * (cell + gap) - gap
    body = []
    for i, (when, v) in enumerate(shown):
        body.append(f'<rect x="{i * (cell + gap)}" y="0" width="{cell}" height="{cell}" rx="2" fill="{VERDICT_COLOUR.get(v, "#999")}">'
                    f"<title>{escape(local_time(when))}: {escape(v)}</title></rect>")
    label = "verdicts oldest first: " + ", ".join(v for _, v in shown)
    return (f'<svg class="strip" viewBox="0 0 {width} {cell}" width="{width}" height="{cell}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")
