"""The LLM judge: a rubric prompt through any litellm provider, a JSON reply
validated by pydantic (one repair retry), and every verdict checked in code
against the transcript."""

from __future__ import annotations

from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voicecoach.engines.embed import Embedder
from voicecoach.errors import JudgeError, LLMError
from voicecoach.engines.llm import ChatClient, json_body
from voicecoach.models import Card, Delivery, JudgeInfo, KeyPointResult, MistakeKind, MistakeResult, Scores, Transcript, Verdicts
from voicecoach.content.prompts import Prompt, load_prompt
from voicecoach.judge import scoring, structure
from voicecoach.judge.text import content_stems, quote_time, stem, words_of
from voicecoach.judge.verify import QuoteVerifier, addresses_grader, verbatim


def shared_embedder() -> Embedder | None:
    """The offline judge's MiniLM, loaded once per process; None when it
    cannot be loaded (quotes are then checked by shared words only)."""
    from voicecoach.judge import load_embedder

    try:
        return load_embedder()
    except JudgeError:
        return None


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReplyKeyPoint(_Reply):
    index: int = Field(ge=1)
    verdict: Literal["covered", "partial", "missing"]
    quote: str = ""


class ReplyMistake(_Reply):
    index: int = Field(ge=1)
    verdict: Literal["made", "not_made", "unsure"]
    quote: str = ""


class JudgeReply(_Reply):
    key_points: list[ReplyKeyPoint]
    mistakes: list[ReplyMistake]
    structure: int = Field(ge=1, le=5)
    structure_reason: str = ""
    delivery: int = Field(ge=1, le=5)
    delivery_reason: str = ""
    coverage: int = Field(ge=1, le=5)
    overall: int = Field(ge=0, le=100)
    top_fixes: list[str] = Field(max_length=5)
    improved_answer: str = ""


REPLY_SCHEMA = JudgeReply.model_json_schema()
ANSWER_MARKERS = ("<<<ANSWER", "ANSWER>>>")


def _delivery_summary(delivery: Delivery | None) -> str:
    if delivery is None:
        return "not measured (typed answer)"
    return (
        f"{delivery.duration_s:.0f} s, {delivery.words_per_minute:.0f} words per minute, "
        f"{delivery.filler_count} fillers ({delivery.fillers_per_minute:.1f}/min), "
        f"{delivery.pause_count} pauses over 1 s (longest {delivery.longest_pause_s:.1f} s)"
    )


def parse_reply(text: str, card: Card) -> JudgeReply:
    """JSON -> JudgeReply, with every key point and mistake graded by index."""
    data = json_body(text)
    try:
        reply = JudgeReply.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"does not match the schema: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    got_kp = {k.index for k in reply.key_points}
    got_m = {m.index for m in reply.mistakes}
    need_kp = set(range(1, len(card.key_points) + 1))
    need_m = set(range(1, len(card.common_mistakes) + 1))
    if not need_kp <= got_kp:
        raise ValueError(f"key points {sorted(need_kp - got_kp)} were not graded")
    if not need_m <= got_m:
        raise ValueError(f"mistakes {sorted(need_m - got_m)} were not graded")
    return reply


def relevant(quote: str, target: str) -> bool:
    """The old check (kept for comparison in bench/llm_verify.py): a quote is
    about the point when it shares a content word with it. It threw away
    correct quotes in the candidate's own words; ``verify`` now judges by
    meaning (judge/verify.py)."""
    return bool(content_stems(quote) & content_stems(target)) or bool({stem(w) for w in words_of(quote)} & content_stems(target))


# Confidence of an LLM verdict after verification: fixed levels by outcome
# (not calibrated; the offline judge's are).
CONFIDENCE = {"confirmed": 0.9, "unsure": 0.5, "llm_missing": 0.7, "downgraded": 0.6}


class LLMJudge:
    kind = "llm"

    def __init__(self, client: ChatClient, model: str, prompt: Prompt | None = None,
                 embedder: Embedder | Callable[[], Embedder | None] | None = None, note: str = "") -> None:
        """``embedder``: the sentence-embedding model used to check quotes by
        meaning, or a factory called on first use (None: the shared MiniLM).
        ``note``: said in the report (e.g. that a local model server was found)."""
        self.client = client
        self.model = model
        self.prompt = prompt or load_prompt("judge")
        self._embedder = embedder
        self.note = note

    @property
    def info(self) -> JudgeInfo:
        return JudgeInfo(kind="llm", model=self.model, prompt_version=self.prompt.version, note=self.note)

    @property
    def verifier(self) -> QuoteVerifier:
        if self._embedder is None:
            self._embedder = shared_embedder
        embedder = self._embedder if hasattr(self._embedder, "encode") else self._embedder()
        if embedder is not None:
            self._embedder = embedder
        return QuoteVerifier(embedder)

    def ask(self, card: Card, transcript: Transcript, delivery: Delivery | None) -> JudgeReply:
        answer = transcript.text
        for marker in ANSWER_MARKERS:  # the candidate cannot close the data block
            answer = answer.replace(marker, " ")
        messages = self.prompt.render(card=card, answer=answer, delivery=_delivery_summary(delivery))
        reply_text = self.client.complete(messages, REPLY_SCHEMA, "rubric_verdicts")
        try:
            return parse_reply(reply_text, card)
        except ValueError as first:
            repair = self.prompt.render_repair(error=str(first))
            messages = messages + [{"role": "assistant", "content": reply_text[:4000]}, {"role": "user", "content": repair}]
            reply_text = self.client.complete(messages, REPLY_SCHEMA, "rubric_verdicts")
            try:
                return parse_reply(reply_text, card)
            except ValueError as second:
                raise LLMError(f"{self.model} replied twice with unusable JSON ({second})",
                               hint="Try another model; the offline judge scored this answer instead.", reason="bad_reply") from second

    def judge(self, card: Card, transcript: Transcript, delivery: Delivery | None) -> Verdicts:
        reply = self.ask(card, transcript, delivery)
        kps, mistakes = verify(card, transcript, reply, self.verifier)
        wc = len(transcript.text.split())
        struct = structure.analyse(card, transcript.text)
        d_code, d_notes = scoring.delivery_score(card, delivery, wc)
        s_score = reply.structure if wc >= 15 else 1
        d_score = None if d_code is None else min(reply.delivery, d_code + 1)  # measured figures bound the LLM's view
        ceiling = scoring.overall(card, kps, mistakes, s_score, d_score, wc)
        scores = Scores(
            structure=s_score,
            delivery=d_score,
            coverage=scoring.coverage_score(kps),
            # The LLM's overall, but never above what its verified verdicts support.
            overall=min(reply.overall, ceiling + 5),
        )
        fixes = [f.strip() for f in reply.top_fixes if f.strip()][:3]
        return Verdicts(key_points=kps, mistakes=mistakes, scores=scores, fixes=fixes, structure_notes=struct.notes + d_notes,
                        improved_answer=reply.improved_answer.strip(), judge=self.info)


def verify(card: Card, transcript: Transcript, reply: JudgeReply,
           verifier: QuoteVerifier | None = None) -> tuple[list[KeyPointResult], list[MistakeResult]]:
    """Check every verdict's quote. 'covered' or 'partial' needs a quote that
    is in the transcript (strict) and is not a request to the grader, not
    about another key point, not about something else entirely (judged by
    meaning: judge/verify.py); failing that, the point is missing. A quote
    that passes but whose meaning the embedding model cannot confirm keeps
    the LLM's verdict with a lower confidence. So does 'made' for a wrong
    claim need a quote from the transcript."""
    verifier = verifier or QuoteVerifier(None)
    by_kp = {k.index: k for k in reply.key_points}
    by_m = {m.index: m for m in reply.mistakes}
    quoted = {i: by_kp[i].quote.strip() for i in range(1, len(card.key_points) + 1)
              if by_kp[i].verdict in ("covered", "partial") and verbatim(by_kp[i].quote.strip(), transcript.text)}
    checks = dict(zip(quoted, verifier.check_all(card, list(quoted.items()))))
    suspect = addresses_grader(transcript.text)
    kps: list[KeyPointResult] = []
    for i, kp in enumerate(card.key_points, 1):
        r = by_kp[i]
        verdict, note, quote, confidence, sim = r.verdict, "", r.quote.strip(), CONFIDENCE["llm_missing"], None
        if verdict in ("covered", "partial"):
            check = checks.get(i)
            if check is None:
                verdict, note, quote, confidence = "missing", f"downgraded from {r.verdict}: the quoted words are not in the transcript", "", CONFIDENCE["downgraded"]
            elif not check.keeps or (suspect and check.outcome == "unsure"):
                why = {"meta": "the quote asks the grader for marks instead of answering",
                       "other_point": f"the quote is about key point {check.other_point}, not this one",
                       "off_card": "the quote is not about this point",
                       "unsure": "the answer addresses the grader, and the quote could not be confirmed to state this point"}[check.outcome]
                verdict, note, quote, confidence = "missing", f"downgraded from {r.verdict}: {why}", "", CONFIDENCE["downgraded"]
            else:
                confidence, sim = CONFIDENCE[check.outcome], round(check.similarity, 3)
                if check.outcome == "unsure":
                    note = "kept the LLM judge's verdict, but could not confirm that the quote states this point"
        elif verdict == "missing":
            quote = ""
        kps.append(KeyPointResult(key_point=kp, verdict=verdict, evidence=quote, evidence_start_s=quote_time(quote, transcript),
                                  similarity=sim, confidence=confidence, note=note))
    mistakes: list[MistakeResult] = []
    for i, m in enumerate(card.common_mistakes, 1):
        r = by_m[i]
        verdict, note, quote = r.verdict, "", r.quote.strip()
        if m.kind == MistakeKind.omission and m.key_point:
            # An omission follows from its (verified) key point.
            kp_verdict = kps[m.key_point - 1].verdict
            implied = {"missing": "made", "covered": "not_made", "partial": "unsure"}[kp_verdict]
            if implied != verdict:
                note = f"set to {implied} from key point {m.key_point} (the judge said {verdict})"
                verdict = implied
            quote = kps[m.key_point - 1].evidence if verdict != "made" else ""
        elif verdict == "made":
            if not verbatim(quote, transcript.text):
                verdict, note, quote = "unsure", "downgraded from made: the quoted words are not in the transcript", ""
        mistakes.append(MistakeResult(mistake=m.text, kind=m.kind, verdict=verdict, evidence=quote, note=note))
    return kps, mistakes
