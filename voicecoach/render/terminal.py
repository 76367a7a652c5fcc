"""Terminal rendering with rich: study cards, the live listening indicator,
and the written report."""

from __future__ import annotations

import contextlib
import sys

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from voicecoach.models import AttemptResult, Card

VERDICT_STYLE = {"covered": "green", "partial": "yellow", "missing": "red", "made": "red", "not_made": "green", "unsure": "yellow"}
VERDICT_MARK = {"covered": "✔", "partial": "~", "missing": "✘", "made": "✘", "not_made": "✔", "unsure": "?"}
from voicecoach.render.html import KEY_POINT_LEGEND, KIND_WORDS, MISTAKE_LEGEND  # noqa: E402  (what the marks and kinds mean)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def card_panel(card: Card, study: bool = False) -> Panel:
    head = Text.assemble((card.title, "bold"), "\n", (f"{card.category} · {card.difficulty} · id {card.id}", "dim"))
    if not study:
        return Panel(head, title="Question", border_style="cyan")
    body = [head, Text(""), Text("Why interviewers ask this", style="bold cyan"), Text(card.why_asked), Text(""),
            Text("How to answer", style="bold cyan"), Text(card.how_to_answer), Text(""), Text("Key points to cover", style="bold cyan")]
    body += [Text(f"  • {kp}") for kp in card.key_points]
    body += [Text(""), Text("Sample answer", style="bold cyan"), Text(card.sample_answer), Text(""), Text("Common mistakes to avoid", style="bold cyan")]
    body += [Text(f"  • {m.text}  ", style="").append(f"({m.kind.value})", style="dim") for m in card.common_mistakes]
    return Panel(Group(*body), border_style="cyan")


class ConsoleUI:
    """The UI the interview loop reports to. With ``json_mode`` everything
    human goes to stderr so stdout carries only JSON."""

    def __init__(self, json_mode: bool = False, quiet: bool = False) -> None:
        self.console = Console(stderr=json_mode, highlight=False)
        self.json_mode = json_mode
        self.quiet = quiet

    def show_card(self, card: Card) -> None:
        if not self.quiet:
            self.console.print(card_panel(card))

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]{escape(message)}[/yellow]")

    def status(self, message: str):
        if self.quiet or not self.console.is_terminal:
            return contextlib.nullcontext()
        return self.console.status(message)

    @contextlib.contextmanager
    def listening(self):
        """A live line: listening, elapsed/limit, input level, silence so far."""
        if not self.console.is_terminal:
            self.console.print("Listening... (stops after a long silence, on \"that's my answer\", Enter, or the time limit)")
            warned = []

            def plain_tick(t) -> None:
                if not warned and t.limit_s - t.elapsed_s <= 30 and t.limit_s > 45:
                    warned.append(True)
                    self.console.print("30 seconds left")

            yield plain_tick
            return
        with Live(Text("● listening"), console=self.console, refresh_per_second=8, transient=True) as live:
            def on_tick(t) -> None:
                bars = max(0, min(20, int((t.level_db + 60) / 3)))
                state = "speaking" if t.silence_s < 0.3 else f"silence {t.silence_s:.1f}s"
                left = t.limit_s - t.elapsed_s
                if left <= 30 and t.limit_s > 45:
                    state += f"   {left:.0f} s left"
                live.update(Text.assemble(("● ", "red"), ("listening ", "bold"), f"{fmt_time(t.elapsed_s)} / {fmt_time(t.limit_s)}  ",
                                          ("▮" * bars, "green"), ("▯" * (20 - bars), "dim"), f"  {state if t.heard_speech else 'waiting for you to start'}",
                                          ("   Enter = done", "dim")))
            yield on_tick

    def show_result(self, result: AttemptResult, card: Card) -> None:
        if self.quiet:
            return
        render_result(self.console, result)


def render_result(console: Console, r: AttemptResult, show_transcript: bool = True) -> None:
    s = r.scores
    if show_transcript:
        console.print(Panel(Text(r.transcript.text or "(empty)"), title="What you said", border_style="blue"))
    kp = Table(title="Key points", show_lines=False, expand=True, caption=KEY_POINT_LEGEND)
    kp.add_column("", width=2)
    kp.add_column("Key point", ratio=3)
    kp.add_column("Evidence from your answer", ratio=3)
    for k in r.key_points:
        ev = f"\"{k.evidence}\"" if k.evidence else ""
        if k.evidence_start_s is not None:
            ev += f" [dim]@{fmt_time(k.evidence_start_s)}[/dim]"
        if k.note:
            ev += f" [dim]({escape(k.note)})[/dim]"
        kp.add_row(Text(VERDICT_MARK[k.verdict], style=VERDICT_STYLE[k.verdict]), Text(k.key_point, style=VERDICT_STYLE[k.verdict]), ev)
    console.print(kp)
    mt = Table(title="Common mistakes", expand=True, caption=MISTAKE_LEGEND)
    mt.add_column("", width=2)
    mt.add_column("Mistake", ratio=3)
    mt.add_column("Verdict", ratio=3)
    for m in r.mistakes:
        detail = m.verdict.replace("_", " ")
        if m.evidence and m.verdict != "not_made":
            detail += f": \"{m.evidence}\""
        if m.note:
            detail += f" ({m.note})"
        mt.add_row(Text(VERDICT_MARK[m.verdict], style=VERDICT_STYLE[m.verdict]), f"{escape(m.mistake)} [dim]({KIND_WORDS.get(m.kind.value, m.kind.value)})[/dim]", Text(detail))
    console.print(mt)
    if r.delivery:
        d = r.delivery
        fillers = ", ".join(f"{f.word}@{fmt_time(f.start)}" for f in d.fillers[:8]) + (" ..." if len(d.fillers) > 8 else "")
        pauses = ", ".join(f"{p.duration_s:.1f}s@{fmt_time(p.start)}" for p in d.pauses[:6])
        dt = Table.grid(padding=(0, 2))
        dt.add_row("Duration", f"{d.duration_s:.0f} s (first word after {d.time_to_first_word_s:.1f} s)")
        dt.add_row("Pace", f"{d.words_per_minute:.0f} words per minute ({d.word_count} words)")
        dt.add_row("Fillers", f"{d.filler_count} ({d.fillers_per_minute:.1f}/min) {fillers}")
        dt.add_row("Pauses > 1 s", f"{d.pause_count}, longest {d.longest_pause_s:.1f} s {pauses}")
        if d.hedge_count:
            dt.add_row("Hedges", f"{d.hedge_count}: {', '.join(sorted(set(d.hedges)))}")
        console.print(Panel(dt, title="Delivery", border_style="magenta"))
    st = Table.grid(padding=(0, 3))
    st.add_row(Text(f"Overall {s.overall}/100", style="bold"), f"Coverage {s.coverage}/5", f"Structure {s.structure}/5",
               "Delivery not measured (typed)" if s.delivery is None or r.delivery is None else f"Delivery {s.delivery}/5")
    console.print(Panel(st, title="Scores", border_style="green"))
    console.print(Text("Top fixes", style="bold"))
    fixes = Table.grid(padding=(0, 1))  # a long fix wraps under its own text, not under the number
    fixes.add_column(justify="right", width=4, no_wrap=True)
    fixes.add_column()
    for i, f in enumerate(r.fixes, 1):
        fixes.add_row(f"{i}.", Text(f))
    console.print(fixes)
    if r.improved_answer:
        console.print(Panel(Text(r.improved_answer), title="A stronger version of your answer", border_style="dim"))
    for d in r.disagreements:
        console.print(f"[dim]cross-check: {escape(d)}[/dim]")
    judge = f"judge: {r.judge.kind} ({r.judge.model}, {r.judge.prompt_version})"
    if r.judge.note:
        console.print(f"[yellow]{escape(r.judge.note)}[/yellow]")
    console.print(f"[dim]{judge} · attempt {r.attempt_id}[/dim]")


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()
