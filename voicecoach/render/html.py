"""HTML and Markdown reports of scored answers: pure functions, standard library only.

``render_html`` builds one self-contained page (inline CSS, a little inline JS,
audio as data URIs, charts as inline SVG) that works offline. Every piece of
text from a transcript, a card or the judge goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import re
from html import escape

from voicecoach.render.charts import fmt_time, pace_chart, progress_chart
from voicecoach.models import AttemptResult, KeyPointResult, Word

VERDICT_MARK = {"covered": "✔", "partial": "~", "missing": "✘", "made": "✘", "not_made": "✔", "unsure": "?"}
# What the marks and kinds mean, shown under the tables (in the terminal too).
KEY_POINT_LEGEND = "✔ covered · ~ partly covered · ✘ missing"
MISTAKE_LEGEND = "✘ made · ✔ not made · ? cannot tell. A wrong claim is something said that is wrong; a missing point is a key point left out."
KIND_WORDS = {"claim": "wrong claim", "omission": "missing point"}
# A fuzzy evidence match must share this share of the quote's words: judges
# sometimes trim or re-punctuate a quote, but a lower bar marks unrelated words.
EVIDENCE_MIN_OVERLAP = 0.7

CSS = """
:root{--ink:#1f2937;--dim:#6b7280;--line:#e5e7eb;--ok:#15803d;--mid:#b45309;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:var(--ink);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.3rem;margin:0}h3{font-size:1.02rem;margin:22px 0 8px;color:#374151}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin:18px 0;box-shadow:0 1px 2px #0000000d}
.meta,.dim{color:var(--dim);font-size:.88rem}code{font-size:.86rem;background:#f3f4f6;padding:1px 5px;border-radius:4px}
.scores{display:flex;flex-wrap:wrap;gap:10px 26px;align-items:center;margin:14px 0 6px}
.overall{font-size:2rem;font-weight:700;line-height:1}.overall small{font-size:.95rem;color:var(--dim);font-weight:400}
.good{color:var(--ok)}.fair{color:var(--mid)}.poor{color:var(--bad)}
.sub{font-size:.92rem}.pips{letter-spacing:2px;color:#d1d5db}.pips b{color:#4f46e5;font-weight:400}
audio{width:100%;margin:8px 0 2px}
.transcript{font-size:1.05rem;line-height:2;margin:6px 0}.typed{white-space:pre-wrap;line-height:1.7}
.w{border-radius:3px;padding:1px 0}.has-audio .w,.has-audio .seek{cursor:pointer}.has-audio .w:hover{background:#dbeafe}
.w.now{background:#bfdbfe;outline:1px solid #60a5fa}
.fq{display:block;margin:10px 0 2px;padding:4px 10px;border-left:3px solid #a5b4fc;background:#eef2ff;font-size:.95rem;line-height:1.5}
.filler{color:#c2410c;background:#ffedd5;text-decoration:underline wavy #fb923c;text-underline-offset:4px}
.pause{display:inline-block;font-size:.72rem;line-height:1.3;color:#991b1b;background:#fee2e2;border:1px solid #fca5a5;border-radius:9px;padding:0 6px;margin:0 3px;vertical-align:1px}
mark.ev{border-radius:3px;padding:2px 0;color:inherit}mark.covered{background:#bbf7d0}mark.partial{background:#fef08a}mark.missing,mark.made{background:#fecaca}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:.8rem;color:var(--dim)}.legend span{padding:0 5px}
table{width:100%;border-collapse:collapse;font-size:.92rem}th,td{text-align:left;vertical-align:top;padding:7px 8px;border-bottom:1px solid var(--line)}
th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);font-weight:600}
.v{white-space:nowrap;font-weight:600}.v.covered,.v.not_made{color:var(--ok)}.v.partial,.v.unsure{color:var(--mid)}.v.missing,.v.made{color:var(--bad)}
q{font-style:italic;color:#374151}.note{display:block;color:var(--dim);font-size:.82rem}
button.t{font:inherit;font-size:.85rem;color:#1d4ed8;background:none;border:0;padding:0;cursor:pointer;text-decoration:underline}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:8px 0;font-size:.93rem}dt{color:var(--dim)}dd{margin:0}
svg.chart{width:100%;height:auto;display:block;margin:6px 0}
ol{padding-left:22px}li{margin:3px 0}.improved{border-left:3px solid #a5b4fc;padding:2px 0 2px 14px;color:#374151;white-space:pre-wrap}
.judge{margin-top:20px;padding-top:10px;border-top:1px solid var(--line)}.warn{background:#fef9c3;border:1px solid #fde047;border-radius:6px;padding:6px 10px;font-size:.88rem}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid-page}audio{display:none}}
"""

JS = """
document.addEventListener('click', function (e) {
  var el = e.target.closest('[data-start]'), sec = el && el.closest('.attempt');
  var a = sec && sec.querySelector('audio');
  if (!a) return;
  a.currentTime = parseFloat(el.getAttribute('data-start')); a.play();
});
document.querySelectorAll('.attempt audio').forEach(function (a) {
  var words = a.closest('.attempt').querySelectorAll('.w'), cur = null;
  a.addEventListener('timeupdate', function () {
    var hit = null;
    for (var i = 0; i < words.length && parseFloat(words[i].getAttribute('data-start')) <= a.currentTime; i++) hit = words[i];
    if (hit !== cur) { if (cur) cur.classList.remove('now'); if (hit) hit.classList.add('now'); cur = hit; }
  });
});
"""


# ------------------------------------------------------------------- helpers


def _e(text: object) -> str:
    return escape(str(text))


def _fmt_date(created_at: str) -> str:
    from voicecoach.store.tally import local_time

    return local_time(created_at)  # one local-time format everywhere


def _band(overall: int) -> str:
    return "good" if overall >= 75 else "fair" if overall >= 50 else "poor"


def _audio_mime(data: bytes) -> str:
    if data[:4] == b"OggS":
        return "audio/ogg"
    if data[:4] == b"fLaC":
        return "audio/flac"
    if data[:3] == b"ID3" or data[:2] == b"\xff\xfb":
        return "audio/mpeg"
    return "audio/wav"


def _norm(token: str) -> str:
    return re.sub(r"[^a-z0-9']", "", token.lower())


def _match_evidence(tokens: list[str], quote: str, near_s: float | None, starts: list[float]) -> range | None:
    """Word indices of ``quote`` in the transcript: an exact run of words if
    there is one (the one nearest ``near_s``), else the window sharing most of
    its words, if enough."""
    want = [t for t in (_norm(q) for q in quote.split()) if t]
    n = len(want)
    if not n or n > len(tokens):
        return None

    def dist(i: int) -> float:
        return abs(starts[i] - near_s) if near_s is not None else i

    exact = [i for i in range(len(tokens) - n + 1) if tokens[i : i + n] == want]
    if exact:
        i = min(exact, key=dist)
        return range(i, i + n)
    best, best_score = None, 0.0
    for i in range(len(tokens) - n + 1):
        score = sum(a == b or a in want for a, b in zip(tokens[i : i + n], want)) / n
        if score > best_score or (score == best_score and best is not None and dist(i) < dist(best)):
            best, best_score = i, score
    return range(best, best + n) if best is not None and best_score >= EVIDENCE_MIN_OVERLAP else None


def _evidence_title(i: int, kp: KeyPointResult) -> str:
    return _e(f"Key point {i + 1} ({kp.verdict}): {kp.key_point}")


def _follow_up_head(prompt: str) -> str:
    return f'<span class="fq"><b>Follow-up question:</b> {_e(prompt)}</span>'


def _spoken_transcript(r: AttemptResult, breaks: dict[int, str] | None = None) -> str:
    """Each word a span with data-start; fillers, long pauses and evidence
    marked; ``breaks`` (word index -> follow-up question) heads each follow-up answer."""
    breaks = breaks or {}
    words: list[Word] = r.transcript.words
    tokens = [_norm(w.word) for w in words]
    starts = [w.start for w in words]
    filler_at: set[int] = set()
    pause_before: dict[int, float] = {}
    if r.delivery:
        for f in r.delivery.fillers:
            i = min(range(len(words)), key=lambda k: abs(starts[k] - f.start))
            if abs(starts[i] - f.start) < 0.05:
                filler_at.update(range(i, min(len(words), i + len(f.word.split()))))
        for p in r.delivery.pauses:
            i = next((k for k, w in enumerate(words) if w.start >= p.start + p.duration_s - 0.05), None)
            if i is not None:
                pause_before[i] = p.duration_s
    ev_at: dict[int, int] = {}  # word index -> key point index
    for k, kp in enumerate(r.key_points):
        span = _match_evidence(tokens, kp.evidence, kp.evidence_start_s, starts) if kp.evidence else None
        for i in span or ():
            ev_at.setdefault(i, k)
    out: list[str] = []
    open_kp: int | None = None
    for i, w in enumerate(words):
        kp_i = ev_at.get(i)
        if open_kp is not None and (kp_i != open_kp or i in pause_before or i in breaks):
            out.append("</mark>")
            open_kp = None
        if i in breaks:
            out.append(_follow_up_head(breaks[i]))
        elif i:
            out.append(" ")
        if i in pause_before:
            d = pause_before[i]
            out.append(f'<span class="pause" title="pause of {d:.1f} s">‖ {d:.1f} s</span> ')
        if kp_i is not None and open_kp is None:
            kp = r.key_points[kp_i]
            out.append(f'<mark class="ev {kp.verdict}" title="{_evidence_title(kp_i, kp)}">')
            open_kp = kp_i
        cls = "w filler" if i in filler_at else "w"
        out.append(f'<span class="{cls}" data-start="{w.start:.2f}" title="{fmt_time(w.start)}">{_e(w.word.strip())}</span>')
    if open_kp is not None:
        out.append("</mark>")
    return "".join(out)


def _typed_transcript(r: AttemptResult, breaks: dict[int, str] | None = None) -> str:
    """Plain text, escaped, with evidence quotes found in it highlighted;
    ``breaks`` (character offset -> follow-up question) heads each follow-up answer."""
    text = r.transcript.text
    pending = sorted((breaks or {}).items())

    def plain(a: int, b: int) -> str:
        pieces, at = [], a
        while pending and pending[0][0] <= b:
            off, prompt = pending.pop(0)
            off = max(off, at)
            pieces += [_e(text[at:off].rstrip()), _follow_up_head(prompt)]
            at = off
        return "".join(pieces) + _e(text[at:b])

    spans = []
    for k, kp in enumerate(r.key_points):
        parts = [re.escape(p) for p in kp.evidence.split()]
        m = re.search(r"\s+".join(parts), text, re.I) if parts else None
        if m:
            spans.append((m.start(), m.end(), k))
    out, pos = [], 0
    for start, end, k in sorted(spans):
        if start < pos:
            continue  # overlapping quotes: keep the first
        kp = r.key_points[k]
        out.append(plain(pos, start))
        at = start
        # a quote that runs on into a follow-up answer is split there, so the
        # follow-up question still heads its answer
        while pending and at < pending[0][0] < end:
            off, prompt = pending.pop(0)
            out += [f'<mark class="ev {kp.verdict}" title="{_evidence_title(k, kp)}">{_e(text[at:off].rstrip())}</mark>', _follow_up_head(prompt)]
            at = off
        out.append(f'<mark class="ev {kp.verdict}" title="{_evidence_title(k, kp)}">{_e(text[at:end])}</mark>')
        pos = end
    out.append(plain(pos, len(text)))
    return "".join(out)


def _pips(score: int) -> str:
    return f'<span class="pips" aria-hidden="true"><b>{"●" * score}</b>{"●" * (5 - score)}</span>'


def _time_button(t: float | None) -> str:
    return "" if t is None else f'<button class="t" data-start="{t:.2f}" title="play from here">{fmt_time(t)}</button>'


# ---------------------------------------------------------------------- HTML


def follow_up_breaks(r: AttemptResult, att) -> tuple[dict[int, str], dict[int, str], list]:
    """Where each follow-up answer starts in a combined transcript: (word
    index -> question, character offset -> question, follow-ups not in it)."""
    if att is None or not att.follow_ups or att.first is None:
        return {}, {}, []
    first = att.first.transcript
    if att.first is r or not r.transcript.text.startswith(first.text) or len(r.transcript.text) <= len(first.text):
        return {}, {}, list(att.follow_ups)  # not combined (say, interrupted): shown after the answer
    words, chars = len(first.words), len(first.text)
    wb, cb = {}, {}
    for f in att.follow_ups:
        wb[words], cb[chars] = f.prompt, f.prompt
        words += len(f.result.transcript.words) if f.result else 0
        chars += 1 + len(f.text)
    return wb, cb, []


def transcript_html(r: AttemptResult, att=None, with_audio: bool = False) -> str:
    """The answer's transcript: spoken, each word a ``.w`` span with
    ``data-start`` (a click seeks the audio), fillers, long pauses and evidence
    marked, with a legend; typed, the text with evidence marked. Follow-up
    answers (``att``, a tally.Attempt) are headed by their question."""
    word_breaks, char_breaks, separate = follow_up_breaks(r, att)
    h = []
    if r.transcript.words:
        h.append(f'<p class="transcript">{_spoken_transcript(r, word_breaks)}</p>')
        h.append('<div class="legend"><span class="filler">filler</span><span class="pause">‖ pause &gt; 1 s</span>'
                 '<span><mark class="ev covered">key point covered</mark></span><span><mark class="ev partial">partly covered</mark></span>'
                 + ("<span>click a word to hear it</span>" if with_audio else "") + "</div>")
    else:
        h.append(f'<p class="transcript typed">{_typed_transcript(r, char_breaks) or "<em>(empty)</em>"}</p>')
    for f in separate:
        h.append(f'<p class="transcript typed">{_follow_up_head(f.prompt)}{_e(f.text) or "<em>(no answer)</em>"}</p>')
    return "\n".join(h)


def _attempt_html(r: AttemptResult, n: int, wav: bytes | None, att=None, card=None) -> str:
    s, d = r.scores, r.delivery
    h = [f'<section class="card attempt{" has-audio" if wav else ""}" id="attempt-{n}">',
         f"<h2>{_e(r.card_title)}</h2>",
         f'<div class="meta">card <code>{_e(r.card_id)}</code> · {_e(_fmt_date(att.created_at if att and att.created_at else r.created_at))} · answered by {_e(r.answer_source)}'
         + (f" · attempt <code>{_e(r.attempt_id)}</code>" if r.attempt_id else "") + "</div>",
         f'<div class="scores"><div class="overall {_band(s.overall)}">{s.overall}<small>/100 overall</small></div>']
    for name, v in (("Coverage", s.coverage), ("Structure", s.structure), ("Delivery", None if d is None else s.delivery)):
        h.append(f'<div class="sub">{name} <strong>{v}/5</strong> {_pips(v)}</div>' if v is not None
                 else f'<div class="sub">{name} <strong>not measured</strong> <span class="dim">(typed answer)</span></div>')
    h.append("</div>")
    if wav:
        b64 = base64.b64encode(wav).decode("ascii")
        h.append(f'<audio controls preload="metadata" src="data:{_audio_mime(wav)};base64,{b64}"></audio>')
    h.append("<h3>What you said</h3>")
    h.append(transcript_html(r, att, with_audio=bool(wav)))
    timed = any(k.evidence_start_s is not None for k in r.key_points)  # typed answers have no times: no empty column
    h.append("<h3>Key points</h3><table><thead><tr><th>Verdict</th><th>Key point</th><th>Evidence from your answer</th>"
             + ("<th>Time</th>" if timed else "") + "</tr></thead><tbody>")
    for k in r.key_points:
        ev = f"<q>{_e(k.evidence)}</q>" if k.evidence else ""
        ev += f'<span class="note">{_e(k.note)}</span>' if k.note else ""
        h.append(f'<tr><td class="v {k.verdict}">{VERDICT_MARK[k.verdict]} {k.verdict}</td><td>{_e(k.key_point)}</td>'
                 f"<td>{ev}</td>" + (f"<td>{_time_button(k.evidence_start_s)}</td>" if timed else "") + "</tr>")
    h.append(f'</tbody></table><div class="legend">{_e(KEY_POINT_LEGEND)}</div>')
    if r.mistakes:
        h.append("<h3>Common mistakes</h3><table><thead><tr><th>Verdict</th><th>Mistake</th><th>Evidence / note</th></tr></thead><tbody>")
        for m in r.mistakes:
            ev = f"<q>{_e(m.evidence)}</q>" if m.evidence and m.verdict != "not_made" else ""
            ev += f'<span class="note">{_e(m.note)}</span>' if m.note else ""
            h.append(f'<tr><td class="v {m.verdict}">{VERDICT_MARK[m.verdict]} {m.verdict.replace("_", " ")}</td>'
                     f'<td>{_e(m.mistake)} <span class="dim">({_e(KIND_WORDS.get(m.kind.value, m.kind.value))})</span></td><td>{ev}</td></tr>')
        h.append(f'</tbody></table><div class="legend">{_e(MISTAKE_LEGEND)}</div>')
    if d:
        h.append("<h3>Delivery</h3>")
        h.append(pace_chart(r.transcript.words, d))
        fillers = ", ".join(f"{_e(f.word)} {_time_button(f.start)}" for f in d.fillers[:12]) + (" …" if len(d.fillers) > 12 else "")
        pauses = ", ".join(f"{p.duration_s:.1f} s at {_time_button(p.start)}" for p in d.pauses[:10]) + (" …" if len(d.pauses) > 10 else "")
        h.append(f"<dl><dt>Duration</dt><dd>{d.duration_s:.0f} s (first word after {d.time_to_first_word_s:.1f} s)</dd>"
                 f"<dt>Pace</dt><dd>{d.words_per_minute:.0f} words per minute ({d.word_count} words)</dd>"
                 f"<dt>Fillers</dt><dd>{d.filler_count} ({d.fillers_per_minute:.1f}/min){': ' + fillers if fillers else ''}</dd>"
                 f"<dt>Pauses &gt; 1 s</dt><dd>{d.pause_count}, longest {d.longest_pause_s:.1f} s{': ' + pauses if pauses else ''}</dd>")
        # Figures added in issue 5 (optional, so older records still render).
        if getattr(d, "articulation_wpm", None):
            h.append(f"<dt>Speaking rate</dt><dd>{d.articulation_wpm:.0f} words per minute between pauses</dd>")
        if getattr(d, "pace_trend", None):
            h.append(f"<dt>Pace trend</dt><dd>{_e(d.pace_trend)}</dd>")
        length = getattr(d, "length", None)
        if length:
            h.append(f"<dt>Length</dt><dd>{length.answer_s:.0f} s: {_e(length.verdict)} (target {length.target_min_s}–{length.target_max_s} s)"
                     f"{'. ' + _e(length.advice) if length.advice else ''}</dd>")
        if d.hedge_count:
            h.append(f"<dt>Hedges</dt><dd>{d.hedge_count}: {_e(', '.join(sorted(set(d.hedges))))}</dd>")
        h.append("</dl>")
    if r.fixes:
        h.append("<h3>Top fixes</h3><ol>" + "".join(f"<li>{_e(f)}</li>" for f in r.fixes) + "</ol>")
    if r.structure_notes:
        h.append("<h3>Structure</h3><ul>" + "".join(f"<li>{_e(x)}</li>" for x in r.structure_notes) + "</ul>")
    if r.improved_answer:
        h.append(f'<h3>A stronger version of your answer</h3><div class="improved">{_e(r.improved_answer)}</div>')
    if card is not None and card.sample_answer:
        h.append(f'<h3>A model answer, to learn from</h3><p class="dim">{_e(card.how_to_answer)}</p>'
                 f'<div class="improved">{_e(card.sample_answer)}</div>')
    j = r.judge
    h.append(f'<div class="judge dim">judge: {_e(j.kind)} · model <code>{_e(j.model)}</code> · prompt <code>{_e(j.prompt_version)}</code></div>')
    if j.note:
        h.append(f'<p class="warn">{_e(j.note)}</p>')
    h.append("</section>")
    return "\n".join(h)


def _summary_html(results: list[AttemptResult], attempts=None) -> str:
    from voicecoach.store import tally

    rows = "".join(f'<tr><td><a href="#attempt-{i}">{_e(r.card_title)}</a></td><td class="{_band(r.scores.overall)}"><strong>{r.scores.overall}</strong></td>'
                   f"<td>{r.scores.coverage}/5</td><td>{r.scores.structure}/5</td><td>{_delivery_cell(r)}</td></tr>"
                   for i, r in enumerate(results, 1))
    follow = sum(len(a.follow_ups) for a in attempts or [])
    n = len(results)
    line = (f"{n} question{'s' if n != 1 else ''}" + (f" and {follow} follow-up{'s' if follow != 1 else ''}" if follow else "")
            + f" · session score {tally.session_score([r.scores.overall for r in results])}/100 (the mean of the questions' overall scores)")
    return (f'<section class="card"><h2>Session summary</h2><p class="dim">{line}</p>'
            "<table><thead><tr><th>Question</th><th>Overall</th><th>Coverage</th><th>Structure</th><th>Delivery</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>")


def _delivery_cell(r: AttemptResult) -> str:
    return "not measured" if r.delivery is None or r.scores.delivery is None else f"{r.scores.delivery}/5"


def render_html(results: list[AttemptResult], audio: dict[str, bytes] | None = None,
                history: list[dict] | None = None, title: str = "", attempts=None, history_unit: str = "attempt",
                cards: dict | None = None) -> str:
    """One self-contained page for one attempt or a session. ``audio`` maps
    attempt ids to WAV bytes; ``history`` (oldest first) adds a progress chart;
    ``attempts`` (tally.Attempt, in the order of ``results``) adds the follow-ups;
    ``cards`` (card id -> Card) adds each question's model answer."""
    from voicecoach.store import tally

    audio = audio or {}
    by_id = {a.attempt_id: a for a in attempts or []}
    if not title:
        title = results[0].card_title if len(results) == 1 else "Interview session" if results else "voicecoach report"
    body = [f"<header><h1>{_e(title)}</h1>"]
    if results:
        dates = sorted(tally.local_time(r.created_at)[:10] for r in results)
        span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        n = len(results)
        body.append(f'<div class="meta">voicecoach report · {n} question{"s" if n != 1 else ""} · {_e(span)}</div>')
    body.append("</header>")
    if len(results) > 1:
        body.append(_summary_html(results, attempts))
    if history and len(history) > 1:
        body.append(f'<section class="card"><h2>Progress</h2>{progress_chart(history, unit=history_unit)}</section>')
    elif history:
        body.append(f'<section class="card"><h2>Progress</h2><p class="dim">This is your first scored {_e(history_unit)} here; '
                    "the chart of your scores appears from the second one.</p></section>")
    if not results:
        body.append('<section class="card"><p>No attempts to show.</p></section>')
    for i, r in enumerate(results, 1):
        body.append(_attempt_html(r, i, audio.get(r.attempt_id) if r.attempt_id else None, by_id.get(r.attempt_id or ""),
                                  (cards or {}).get(r.card_id)))
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body><main>\n" + "\n".join(body)
            + f"\n</main><script>{JS}</script></body></html>\n")


