"""A multi-question interview that behaves like an interviewer: an
introduction, each question with thinking time, a follow-up that probes a
missed key point, spoken feedback, and a closing summary."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Literal

from voicecoach.models import AttemptResult, Card, KeyPointResult
from voicecoach.core.coach import AnswerInput, Coach

Persona = Literal["friendly", "neutral", "tough"]

INTROS = {
    "friendly": "Hi, thanks for joining. I'll ask you {n} {questions}, and you have about {mins} per answer. Take your time, and say \"that's my answer\" when you're done. Let's start.",
    "neutral": "This interview has {n} {questions}. You have about {mins} per answer. Say \"that's my answer\" when you are done. First question.",
    "tough": "{n} {questions}, about {mins} each. Be precise; I will push on anything you leave out. Begin.",
}
TYPED_INTROS = {
    "friendly": "Hi, thanks for joining. I'll ask you {n} {questions}, and you have about {mins} to type each answer. Take your time; {finish}. Let's start.",
    "neutral": "This interview has {n} {questions}. You have about {mins} to type each answer; {finish}. First question.",
    "tough": "{n} {questions}, about {mins} each to type the answer. Be precise; I will push on anything you leave out. Begin.",
}
# Without an LLM the follow-up quotes the missed key point whole (never a bag of its words).
FOLLOW_UPS = {
    "friendly": ["Nice. One more thing I'd love to hear about: {point}. Can you say how that works?",
                 "Good start. You didn't get to this: {point}. Can you walk me through it?"],
    "neutral": ["You didn't get to this: {point}. Can you say how that works?",
                "Follow-up question: {point}. Can you explain why?"],
    "tough": ["You skipped something important: {point}. Explain how that works, and be specific.",
              "That is incomplete: {point}. Why is that so? Be specific."],
}
BEHAVIORAL_FOLLOW_UPS = {  # {ask}: the rubric's point as a request ("Describes X" -> "describe X")
    "friendly": "Thanks. Before we move on, could you {ask}?",
    "neutral": "Before we move on, could you {ask}?",
    "tough": "You left something out. {Ask}, and be specific.",
}
_PRONOUNS = {"they": "you", "their": "your", "theirs": "yours", "themselves": "yourself", "they're": "you're"}
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


def point_phrase(key_point: str) -> str:
    """A key point to quote inside a sentence: whole, first letter lowercased
    (unless it starts an acronym or a name like 'L1'), no final full stop."""
    text = " ".join(key_point.split()).rstrip(" .")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def probe_for(kp: KeyPointResult, card: Card, persona: Persona = "neutral", rng: random.Random | None = None) -> str:
    """A follow-up question from the card's own text: the missed key point, quoted whole."""
    point = point_phrase(kp.key_point)
    if card.is_behavioral:
        verb, _, rest = point.partition(" ")
        if verb.endswith("s") and verb.isalpha():  # "describes the problem they noticed" -> "describe the problem you noticed"
            verb = verb[:-3] + "y" if verb.endswith("ies") else verb[:-1]
            ask = " ".join([verb] + [_PRONOUNS.get(w, w) for w in rest.split()])
        else:
            ask = f"tell me more about this: {point}"
        return BEHAVIORAL_FOLLOW_UPS[persona].format(ask=ask, Ask=ask[0].upper() + ask[1:])
    return (rng or random.Random(0)).choice(FOLLOW_UPS[persona]).format(point=point)


def offline_follow_up(result: AttemptResult, card: Card, persona: Persona, rng: random.Random) -> tuple[str, int] | None:
    """The first missed (else partial) key point, as a follow-up question."""
    for wanted in ("missing", "partial"):
        for i, kp in enumerate(result.key_points):
            if kp.verdict == wanted:
                return probe_for(kp, card, persona, rng), i
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
    how_to_finish: str = "finish your answer"  # typed: how this front end ends an answer (the CLI: an empty line, "done")
    results: list[AttemptResult] = field(default_factory=list)
    _prompted: bool = False

    def _say(self, text: str) -> None:
        self.coach.ui.info(f"[bold cyan]Interviewer:[/bold cyan] {text}")
        self.coach.say(text)

    def _answer(self, card: Card, prompt: str, session_id: str, parent_id: str | None = None) -> AttemptResult | None:
        """The scored answer; None when a typed answer's time ran out before
        anything was typed (no attempt is saved). EOFError: the input ended."""
        if self.typed is not None:
            from voicecoach.errors import Interrupted, Step, TypedInterrupt

            try:
                text = self._typed(prompt, card.answer_limit_s)
            except TypedInterrupt as exc:
                kept = self.coach.keep_typed(card, exc.text, session_id, prompt=prompt, parent_id=parent_id)
                if kept:
                    raise Interrupted(f"stopped; what you typed is saved as attempt {kept} (incomplete)",
                                      step=Step("rescore", {"attempt_id": kept, "session_id": session_id})) from None
                raise Interrupted("stopped; nothing had been typed for this question",
                                  hint="Your earlier answers are saved." if self.results else "",
                                  step=Step("report_session", {"session_id": session_id}) if self.results else None) from None
            if not text.strip():
                self.coach.ui.info("No answer was typed in time; on to the next question.")
                return None
            return self.coach.attempt(card, AnswerInput(text=text), session_id, prompt=prompt, parent_id=parent_id, speak_prompt=False)
        return self.coach.attempt(card, AnswerInput(), session_id, prompt=prompt, parent_id=parent_id)

    def _typed(self, prompt: str, limit_s: float) -> str:
        """The typed answer; the time limit is passed to readers that take it."""
        import inspect

        try:
            params = inspect.signature(self.typed).parameters.values()
        except (TypeError, ValueError):
            params = []
        takes_limit = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2 or \
            any(p.kind == p.VAR_POSITIONAL for p in params)
        return self.typed(prompt, limit_s) if takes_limit else self.typed(prompt)

    def run(self, cards: list[Card], session_id: str) -> list[AttemptResult]:
        try:
            return self._run(cards, session_id)
        finally:
            self.coach.store.end_session(session_id)  # an interrupted session has an end too

    def _run(self, cards: list[Card], session_id: str) -> list[AttemptResult]:
        limit = max(c.answer_limit_s for c in cards)
        n = len(cards)
        intro = (TYPED_INTROS if self.typed is not None else INTROS)[self.persona].format(
            n=n, questions="question" if n == 1 else "questions", mins=_minutes(limit), finish=self.how_to_finish)
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
            try:
                result = self._answer(card, card.title, session_id)
            except EOFError:
                break  # typed input ended: close the interview
            i += 1
            if result is None:
                continue
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
                try:
                    follow = self._answer(card, question, session_id, parent_id=result.attempt_id)
                except EOFError:
                    break
                if follow is None:
                    break
                self.results.append(follow)
                result = self.coach.combine(card, result, follow)
                self.results.append(result)
        summary = self.summary(self.results)
        self._say(CLOSINGS[self.persona].format(summary=summary))
        if self.results:
            self.coach.ui.info(f"Session {session_id} is saved. Next: voicecoach report {session_id} (a page with everything) · "
                               f"voicecoach replay {session_id} · voicecoach review (practise what you missed)")
        return self.results

    def _between(self) -> str:
        """What the candidate wants before the next question. Spoken: a short
        listening window (silence means go on); "pause" waits, without a time
        limit, until they say "continue" (or another command) or press Enter."""
        if self.listen is None:
            return self.between() if self.between else "next"
        from voicecoach.core.commands import HELP

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
        from voicecoach.store import tally

        return tally.closing_line(tally.from_results(results))
