"""Rubric scoring. ``make_judge`` picks the LLM judge when a model is named,
or, with ``auto``, when a local model server is running (judge/detect.py),
with the offline judge as its fallback; otherwise the offline judge."""

from __future__ import annotations

from typing import Callable, Protocol

from voicecoach.errors import LLMError
from voicecoach.models import Card, Delivery, JudgeInfo, Transcript, Verdicts


class Judge(Protocol):
    kind: str

    def judge(self, card: Card, transcript: Transcript, delivery: Delivery | None) -> Verdicts: ...


class FallbackJudge:
    """Try the LLM judge; on any provider failure or unusable reply, score with
    the offline judge and say so in ``judge.note``."""

    kind = "llm"

    def __init__(self, primary: Judge, fallback: Callable[[], Judge], cross_check: bool = False) -> None:
        self.primary = primary
        self._fallback = fallback
        self.cross_check = cross_check
        self.last_error: LLMError | None = None

    def judge(self, card: Card, transcript: Transcript, delivery: Delivery | None) -> Verdicts:
        try:
            self.last_error = None
            v = self.primary.judge(card, transcript, delivery)
        except LLMError as exc:
            self.last_error = exc
            v = self._fallback().judge(card, transcript, delivery)
            note = f"LLM judge unavailable ({exc.message}); scored by the offline judge instead."
            if exc.hint:
                note += f" {exc.hint}"
            info = JudgeInfo(kind=v.judge.kind, model=v.judge.model, prompt_version=v.judge.prompt_version, note=note)
            return v.model_copy(update={"judge": info})
        if not self.cross_check:
            return v
        try:  # the offline judge as a cross-check: show where the two disagree
            off = self._fallback().judge(card, transcript, delivery)
        except Exception:  # noqa: BLE001 - a failed cross-check never loses the LLM's verdicts
            return v
        return v.model_copy(update={"disagreements": disagreements(v, off)})


def disagreements(llm: Verdicts, offline: Verdicts) -> list[str]:
    """Key points where one judge says covered and the other missing, and
    claims one says were made and the other not."""
    out = []
    for a, b in zip(llm.key_points, offline.key_points):
        if {a.verdict, b.verdict} == {"covered", "missing"}:
            out.append(f"Key point \"{a.key_point}\": LLM judge {a.verdict}, offline judge {b.verdict}.")
    for a, b in zip(llm.mistakes, offline.mistakes):
        if {a.verdict, b.verdict} == {"made", "not_made"}:
            out.append(f"Mistake \"{a.mistake}\": LLM judge {a.verdict.replace('_', ' ')}, offline judge {b.verdict.replace('_', ' ')}.")
    return out


_EMBEDDER = None


def load_embedder():
    """MiniLM, loaded once per process and shared by the offline judge and the
    LLM judge's quote check."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from voicecoach.engines.embed import MiniLMEmbedder

        _EMBEDDER = MiniLMEmbedder()
    return _EMBEDDER


def make_offline_judge():
    from voicecoach.judge.offline import OfflineJudge

    return OfflineJudge(load_embedder())


def make_judge(settings, offline_factory: Callable[[], Judge] | None = None) -> Judge:
    offline_factory = offline_factory or make_offline_judge
    if settings.offline or settings.model.strip().lower() == "offline":
        return offline_factory()
    model, api_base, note = settings.named_model, settings.api_base, ""
    if not model:  # auto: a local model server already running, if any
        from voicecoach.judge.detect import detect, probes_for

        server = detect(probes_for(settings))
        if server is None:
            return offline_factory()
        model, api_base, note = server.model, server.api_base, server.note
    from voicecoach.engines.llm import LiteLLMClient
    from voicecoach.judge.llm_judge import LLMJudge

    cached: list[Judge] = []

    def fallback() -> Judge:
        if not cached:
            cached.append(offline_factory())
        return cached[0]

    client = LiteLLMClient(model=model, api_base=api_base, timeout_s=settings.llm_timeout_s)
    return FallbackJudge(LLMJudge(client, model, note=note), fallback, cross_check=True)
