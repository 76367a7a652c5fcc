"""The report as Markdown (no audio): pure functions, standard library only.
Shares its verdict marks, legends and follow-up layout with report_html.py."""

from __future__ import annotations

from voicecoach.render.charts import fmt_time
from voicecoach.models import AttemptResult
from voicecoach.render.html import KIND_WORDS, MISTAKE_LEGEND, VERDICT_MARK, _delivery_cell, _fmt_date, follow_up_breaks


def _att_time(r: AttemptResult, by_id: dict) -> str:
    att = by_id.get(r.attempt_id or "")
    return att.created_at if att and att.created_at else r.created_at


def _md_answer(r: AttemptResult, att) -> list[str]:
    """The answer as a quote, each follow-up question and its answer after it."""
    _, chars, separate = follow_up_breaks(r, att)
    if not chars and not separate:
        return [_quote(r.transcript.text), ""]
    text, out, at = r.transcript.text, [], 0
    parts = sorted(chars.items()) + [(len(text) + 1, None)]
    out += [_quote(text[: parts[0][0]]), ""]
    for (off, prompt), (nxt, _) in zip(parts, parts[1:]):
        out += [f"**Follow-up question:** {' '.join(prompt.split())}", "", _quote(text[off:nxt]), ""]
    for f in separate:
        out += [f"**Follow-up question:** {' '.join(f.prompt.split())}", "", _quote(f.text), ""]
    return out


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in (text.strip() or "(empty)").splitlines())


def render_markdown(results: list[AttemptResult], attempts=None) -> str:
    """The report as Markdown (no audio): transcript as a quote, verdicts as tables."""
    from voicecoach.store import tally

    by_id = {a.attempt_id: a for a in attempts or []}
    out: list[str] = []
    if len(results) > 1:
        out += ["# Interview session", "", f"{len(results)} questions · session score {tally.session_score([r.scores.overall for r in results])}/100", "",
                "| Question | Overall | Coverage | Structure | Delivery |", "|---|---|---|---|---|"]
        out += [f"| {_cell(r.card_title)} | {r.scores.overall} | {r.scores.coverage}/5 | {r.scores.structure}/5 | {_delivery_cell(r)} |" for r in results]
        out.append("")
    head = "##" if len(results) > 1 else "#"
    for r in results:
        s = r.scores
        out += [f"{head} {r.card_title}", "",
                f"`{r.card_id}` · {_fmt_date(_att_time(r, by_id))} · answered by {r.answer_source}" + (f" · attempt `{r.attempt_id}`" if r.attempt_id else ""), "",
                f"**Overall {s.overall}/100** · Coverage {s.coverage}/5 · Structure {s.structure}/5 · Delivery {_delivery_cell(r)}", "",
                f"{head}# What you said", "", *_md_answer(r, by_id.get(r.attempt_id or "")),
                f"{head}# Key points", "", "| Verdict | Key point | Evidence | Time |", "|---|---|---|---|"]
        for k in r.key_points:
            ev = f'"{_cell(k.evidence)}"' if k.evidence else ""
            ev += f" ({_cell(k.note)})" if k.note else ""
            out.append(f"| {VERDICT_MARK[k.verdict]} {k.verdict} | {_cell(k.key_point)} | {ev} | {fmt_time(k.evidence_start_s)} |")
        if r.mistakes:
            out += ["", f"{head}# Common mistakes", "", "| Verdict | Mistake | Kind | Evidence / note |", "|---|---|---|---|"]
            for m in r.mistakes:
                ev = f'"{_cell(m.evidence)}"' if m.evidence and m.verdict != "not_made" else ""
                ev += f" ({_cell(m.note)})" if m.note else ""
                out.append(f"| {VERDICT_MARK[m.verdict]} {m.verdict.replace('_', ' ')} | {_cell(m.mistake)} | {KIND_WORDS.get(m.kind.value, m.kind.value)} | {ev.strip()} |")
            out += ["", f"*{MISTAKE_LEGEND}*"]
        if r.delivery:
            d = r.delivery
            fillers = ", ".join(f"{f.word} @{fmt_time(f.start)}" for f in d.fillers[:12])
            pauses = ", ".join(f"{p.duration_s:.1f} s @{fmt_time(p.start)}" for p in d.pauses[:10])
            out += ["", f"{head}# Delivery", "",
                    f"- Duration: {d.duration_s:.0f} s (first word after {d.time_to_first_word_s:.1f} s)",
                    f"- Pace: {d.words_per_minute:.0f} words per minute ({d.word_count} words)",
                    f"- Fillers: {d.filler_count} ({d.fillers_per_minute:.1f}/min)" + (f": {fillers}" if fillers else ""),
                    f"- Pauses > 1 s: {d.pause_count}, longest {d.longest_pause_s:.1f} s" + (f": {pauses}" if pauses else "")]
            if d.hedge_count:
                out.append(f"- Hedges: {d.hedge_count} ({', '.join(sorted(set(d.hedges)))})")
        if r.fixes:
            out += ["", f"{head}# Top fixes", ""] + [f"{i}. {' '.join(f.split())}" for i, f in enumerate(r.fixes, 1)]
        if r.structure_notes:
            out += ["", f"{head}# Structure", ""] + [f"- {' '.join(x.split())}" for x in r.structure_notes]
        if r.improved_answer:
            out += ["", f"{head}# A stronger version of your answer", "", _quote(r.improved_answer)]
        j = r.judge
        out += ["", f"*judge: {j.kind} · model `{j.model}` · prompt `{j.prompt_version}`*"]
        if j.note:
            out += ["", f"> **Note:** {' '.join(j.note.split())}"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
