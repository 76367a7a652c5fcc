"""A multi-question interview that behaves like an interviewer: an
introduction, each question with thinking time, a follow-up that probes a
missed key point, spoken feedback, and a closing summary."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Literal

from .models import AttemptResult, Card, KeyPointResult, Transcript
from .session import AnswerInput, Coach

Persona = Literal["friendly", "neutral", "tough"]

INTROS = {
    "friendly": "Hi, thanks for joining. I'll ask you {n} {questions}, and you have about {mins} per answer. Take your time, and say \"that's my answer\" when you're done. Let's start.",
    "neutral": "This interview has {n} {questions}. You have about {mins} per answer. Say \"that's my answer\" when you are done. First question.",
    "tough": "{n} {questions}, about {mins} each. Be precise; I will push on anything you leave out. Begin.",
}
FOLLOW_UPS = {
    "friendly": ["Nice. Could you also say a bit about this: {probe}?", "Good start. One more thing I'd love to hear: {probe}?"],
    "neutral": ["You did not mention this. {probe}?", "Follow-up question: {probe}?"],
    "tough": ["You skipped something important. {probe}?", "That is incomplete. {probe}? Be specific."],
}
BETWEEN = {
    "friendly": "Whenever you're ready, say next. You can also say repeat, skip, pause or stop.",
    "neutral": "Say next to continue, or repeat, skip, pause or stop.",
    "tough": "Next question? Say next, repeat, skip, pause or stop.",
}
PAUSE_WINDOW_S = 10.0  # one listening window while paused; they repeat until a command
CLOSINGS = {
    "friendly": "That's the end of the interview. Thanks, you did well to get through it. {summary}",
    "neutral": "That concludes the interview. {summary}",
    "tough": "We're done. {summary}",
}


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{seconds / 60:.0f} minutes" if seconds % 60 == 0 else f"{seconds / 60:.1f} minutes"


def probe_for(kp: KeyPointResult, card: Card) -> str:
    """A question that probes a missed key point without giving it away
    verbatim: it names the topic, not the answer."""
    from .judge.text import content_stems, words_of

    title_stems = content_stems(card.title)
    topic = [w for w in words_of(kp.key_point) if len(w) > 3 and w not in ("which", "that", "their", "about", "with", "when", "they")]
    fresh = [w for w in topic if w not in {s for s in title_stems}]
    focus = " ".join((fresh or topic)[:4])
    if card.is_behavioral:
        return f"Can you tell me more about {focus}"
    return f"How does {focus} come into it"


def offline_follow_up(result: AttemptResult, card: Card, persona: Persona, rng: random.Random) -> tuple[str, int] | None:
    """The first missed (else partial) key point, as a follow-up question."""
    for wanted in ("missing", "partial"):
        for i, kp in enumerate(result.key_points):
            if kp.verdict == wanted:
                return rng.choice(FOLLOW_UPS[persona]).format(probe=probe_for(kp, card)), i
    return None


@dataclass
class Interview:
    coach: Coach
    persona: Persona = "neutral"
    follow_ups: int = 1  # follow-up questions per card, at most
    think_s: float = 0.0
    typed: Callable[[str], str] | None = None  # text mode: ask and read an answer
    between: Callable[[], str] | None = None  # typed only: 'next' | 'repeat' | 'skip' | 'stop'
    # Hands-free: listen (seconds) -> (command or None, what was heard); keys typed meanwhile count too.
    listen: Callable[[float], tuple[str | None, str]] | None = None
    command_window_s: float = 6.0
    follow_up_writer: Callable[[Card, AttemptResult], str | None] | None = None  # LLM follow-ups
    rng: random.Random = field(default_factory=random.Random)
    opening: str = ""  # said before the introduction, e.g. the role of an interview plan
    results: list[AttemptResult] = field(default_factory=list)
    _prompted: bool = False

    def _say(self, text: str) -> None:
        self.coach.ui.info(f"[bold cyan]Interviewer:[/bold cyan] {text}")
        self.coach.say(text)

    def _answer(self, card: Card, prompt: str, session_id: str, parent_id: str | None = None) -> AttemptResult:
        if self.typed is not None:
            text = self.typed(prompt)
            return self.coach.attempt(card, AnswerInput(text=text), session_id, prompt=prompt, parent_id=parent_id, speak_prompt=False)
        return self.coach.attempt(card, AnswerInput(), session_id, prompt=prompt, parent_id=parent_id)

    def run(self, cards: list[Card], session_id: str) -> list[AttemptResult]:
        limit = max(c.answer_limit_s for c in cards)
        n = len(cards)
        intro = INTROS[self.persona].format(n=n, questions="question" if n == 1 else "questions", mins=_minutes(limit))
        self._say(f"{self.opening} {intro}" if self.opening else intro)
        i = 0
        skipped = False
        while i < len(cards):
            card = cards[i]
            # after a skip the next question follows at once
            command = self._between() if i > 0 and not skipped else "next"
            skipped = False
            if command == "stop":
                break
            if command == "skip":
                i += 1
                skipped = True
                continue
            if command == "repeat" and i > 0:
                i -= 1
                card = cards[i]
            if self.think_s and self.typed is None:
                self.coach.ui.info(f"Take {self.think_s:.0f} seconds to think.")
                self.coach.think(self.think_s)
            result = self._answer(card, card.title, session_id)
            self.results.append(result)
            asked = 0
            while asked < self.follow_ups:
                question = self.follow_up_writer(card, result) if self.follow_up_writer else None
                if question is None:
                    found = offline_follow_up(result, card, self.persona, self.rng)
                    if not found:
                        break
                    question = found[0]
                asked += 1
                follow = self._answer(card, question, session_id, parent_id=result.attempt_id)
                self.results.append(follow)
                result = self.coach.combine(card, result, follow)
                self.results.append(result)
            i += 1
        scored = [r for r in self.results if r.attempt_id and not r.parent_id]
        summary = self.summary(scored)
        self._say(CLOSINGS[self.persona].format(summary=summary))
        self.coach.store.end_session(session_id)
        return self.results

    def _between(self) -> str:
        """What the candidate wants before the next question. Spoken: a short
        listening window (silence means go on); "pause" waits, without a time
        limit, until they say "continue" (or another command) or press Enter."""
        if self.listen is None:
            return self.between() if self.between else "next"
        from .commands import HELP

        first = not self._prompted
        self._prompted = True
        self._say(BETWEEN[self.persona] if first else "Ready for the next question?")
        self.coach.ui.info(f"Say or type: {HELP} (silence or Enter = next).")
        for attempt in range(2):
            command, heard = self.listen(self.command_window_s)
            if heard:
                self.coach.ui.info(f"Heard: \"{heard}\"")
            if command == "pause":
                return self._paused()
            if command:
                return command
            if not heard:
                return "next"
            if attempt == 0:
                self._say(f"Sorry, I didn't catch that. Say {HELP}.")
        return "next"

    def _paused(self) -> str:
        self._say("Paused. Say continue when you're ready.")
        self.coach.ui.info("Paused: say \"continue\" or press Enter to go on (or say stop).")
        while True:
            command, heard = self.listen(PAUSE_WINDOW_S)
            if command and command != "pause":
                return command

    @staticmethod
    def summary(results: list[AttemptResult]) -> str:
        if not results:
            return "No answers were scored."
        last = {}
        for r in results:
            last[r.card_id] = r  # the combined result replaces the first one
        scores = [r.scores.overall for r in last.values()]
        best = max(last.values(), key=lambda r: r.scores.overall)
        worst = min(last.values(), key=lambda r: r.scores.overall)
        text = f"Your average score was {sum(scores) / len(scores):.0f} out of 100 over {len(scores)} questions."
        if len(last) > 1:
            text += f" Your strongest answer was on {best.card_title.rstrip('?')}; the one to practise again is {worst.card_title.rstrip('?')}."
        return text


def typed_answer(prompt: str) -> str:
    """Text mode: print the question, read lines until an empty line."""
    import click

    click.echo(f"\n{prompt}\n(type your answer; finish with an empty line)")
    lines = []
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line.strip() and lines:
            break
        if line.strip():
            lines.append(line)
    return " ".join(lines)


def merge_transcripts(first: Transcript, second: Transcript) -> Transcript:
    """The main answer followed by the follow-up answer (times of the second
    shifted past the first)."""
    shift = (first.duration_s or (first.words[-1].end if first.words else 0.0)) + 1.0
    words = list(first.words) + [w.model_copy(update={"start": round(w.start + shift, 3), "end": round(w.end + shift, 3)}) for w in second.words]
    return first.model_copy(update={"text": f"{first.text} {second.text}".strip(), "words": words,
                                    "duration_s": round(shift + (second.duration_s or 0.0), 3)})
