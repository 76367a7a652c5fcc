"""The offline judge: key-point coverage from sentence embeddings over clauses
and sliding windows, mistakes from key points (omissions) or strong evidence
(claims), structure and delivery from code. No key, no network.

Key points of one card often share their vocabulary (ROC, PR, positives,
rates), so the matcher is made discriminative between them: shared content
words weigh less than words specific to one key point, and a span that matches
another key point of the card better counts less for this one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from voicecoach.engines.embed import Embedder
from voicecoach.models import Card, Delivery, JudgeInfo, KeyPointResult, MistakeKind, MistakeResult, Scores, Transcript, Verdicts
from voicecoach.judge import claims, confidence, scoring, structure
from voicecoach.judge.nlp import Parser, default_parser
from voicecoach.judge.text import Span, clause_quote, content_stems, quote_time, spans, transcript_tokens

PROMPT_VERSION = "offline-1"


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on tests/data/judge_set with ``bench/judge.py --calibrate``
    (grid search on the even cards, checked on the odd ones)."""

    covered: float = 0.46  # match score at or above which a key point is covered
    partial: float = 0.40  # ... at or above which it is partially covered
    lexical_weight: float = 0.5  # share of the score from shared content words
    claim_made: float = 0.78  # a wrong claim needs near-paraphrase evidence
    claim_absent: float = 0.50  # below this nothing in the answer resembles the claim
    anchor_weight: float = 0.95  # matches to the sample answer's phrasing count slightly less
    # A content word weighs log(1 + n / df) ** specificity in the lexical share,
    # df = how many of the card's n key points use it (0 = every word counts the same).
    specificity: float = 2.0
    # A span scoring s for this key point and r > s for another of the card's key
    # points counts s - contrast * (r - s) for this one (0 = no contrast).
    contrast: float = 0.5
    list_gate: bool = True  # a span inside a spoken list of terms supports nothing
    polarity_gate: bool = True  # a span in a sentence that says the opposite supports nothing
    # A negation reverses a point when what it covers shares this many of the point's content words.
    negation_overlap: int = 2
    # The meaning path, for a point said in the candidate's own words (few
    # shared words, so a low match score): a span nearer in meaning to this key
    # point than to every other key point of the card (by ``meaning_rel``) and
    # than to the question itself (by ``meaning_topic``), at a cosine of at
    # least ``meaning_cos``, makes the point partial. The gates (lists,
    # reversals) apply. meaning_cos 0 = off. Chosen on the even cards (the
    # highest key-point F1 that loses no ranking check) by
    # ``bench/judge.py --calibrate-meaning``.
    meaning_cos: float = 0.30
    meaning_rel: float = 0.10
    meaning_topic: float = 0.06
    # ... and covered where the span is nearer to this point than to any other by this much (0 = never covered this way).
    meaning_strong: float = 0.0


META_VERB = re.compile(
    r"^(recommends|claims( that)?|says( that)?|states( that)?|suggests|believes( that)?|thinks( that)?|argues( that)?|asserts( that)?|describes|treats|uses|confuses|calls|assumes( that)?)\s+",
    re.I,
)


def claim_core(text: str) -> str:
    """"Claims that L2 gives sparse weights." -> "L2 gives sparse weights"."""
    return META_VERB.sub("", text.strip()).rstrip(".")


class OfflineJudge:
    kind = "offline"

    def __init__(self, embedder: Embedder, thresholds: Thresholds | None = None, parser: Parser | None | str = "auto") -> None:
        self.embedder = embedder
        self.t = thresholds or Thresholds()
        # "auto": spaCy when installed; None: no syntax (similarity and word lists only).
        self.parser: Parser | None = default_parser() if parser == "auto" else parser  # type: ignore[assignment]
        self._point_claims: dict[str, claims.Claim] = {}
        # The readings of an answer depend on its text and the gates, not on the
        # match thresholds: kept, so re-judging (speculative judging at pauses,
        # a threshold search) does not re-read the same sentences.
        self._readings: dict[tuple, tuple[np.ndarray, list[list[str]]]] = {}
        self._matches: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def point_claim(self, text: str) -> claims.Claim:
        if text not in self._point_claims:
            self._point_claims[text] = claims.make_claim(self.parser, text)
        return self._point_claims[text]

    def readings(self, card: Card, transcript: Transcript, cands: list[Span], targets: list[str]) -> tuple[np.ndarray, list[list[str]]]:
        """For each target (key point or claim) and span: 1 where the span can
        support the target, 0 where it cannot: it lies in a list of terms (no
        claim), or a sentence it overlaps says the opposite of the target. With
        the reasons per target and span."""
        key = (card.id, card.title, tuple(card.key_points), transcript.text, tuple(targets), self.t.list_gate, self.t.polarity_gate, self.t.negation_overlap)
        if key in self._readings:
            mask, why = self._readings[key]
            return mask.copy(), [list(w) for w in why]
        mask, why = self._read(card, transcript, cands, targets)
        if len(self._readings) >= 512:  # a session judges a few growing answers; a bench, many
            self._readings.clear()
        self._readings[key] = (mask.copy(), [list(w) for w in why])
        return mask, why

    def _read(self, card: Card, transcript: Transcript, cands: list[Span], targets: list[str]) -> tuple[np.ndarray, list[list[str]]]:
        mask = np.ones((len(targets), len(cands)))
        why = [[""] * len(cands) for _ in targets]
        if not cands:
            return mask, why
        toks, _ = transcript_tokens(transcript)
        sents = claims.read_claims(self.parser, toks)
        pairs = claims.contrast_terms(card)
        points = [self.point_claim(t) for t in targets]
        for j, c in enumerate(cands):
            over = [s for s in sents if s.start_word < c.end_word and c.start_word < s.end_word]
            listed = sum(min(s.end_word, c.end_word) - max(s.start_word, c.start_word) for s in over if s.is_list)
            if self.t.list_gate and listed * 2 > c.end_word - c.start_word:
                mask[:, j] = 0
                for i in range(len(targets)):
                    why[i][j] = "a list of terms, not a claim"
                continue
            if not self.t.polarity_gate:
                continue
            for i, p in enumerate(points):
                for s in over:
                    r = claims.reversal(p, s, pairs, self.t.negation_overlap)
                    if r:
                        mask[i, j] = 0
                        why[i][j] = r
                        break
        return mask, why

    @property
    def info(self) -> JudgeInfo:
        return JudgeInfo(kind="offline", model=self.embedder.name, prompt_version=PROMPT_VERSION)

    def word_weights(self, card: Card) -> dict[str, float] | None:
        """How specific each content word is to one of the card's key points:
        an inverse document frequency over the key points, raised to
        ``specificity``. Words in no key point (e.g. the sample answer's own)
        weigh as much as a word in one: the weight under the key "" (never a
        content word). None when weighting is off."""
        if self.t.specificity <= 0:
            return None
        n = len(card.key_points)
        df: dict[str, int] = {}
        for kp in card.key_points:
            for w in content_stems(kp):
                df[w] = df.get(w, 0) + 1
        weights = {w: math.log(1 + n / c) ** self.t.specificity for w, c in df.items()}
        weights[""] = math.log(1 + n) ** self.t.specificity  # the default, for unseen words
        return weights

    def _match(self, targets: list[str], cands: list[Span], weights: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Score matrix (targets x spans): cosine blended with the share of the
        target's content words that the span contains (weighted by ``weights``
        from :meth:`word_weights` when given)."""
        if not cands:
            return np.zeros((len(targets), 0)), np.zeros((len(targets), 0))
        key = (tuple(targets), tuple(c.text for c in cands), self.t.lexical_weight, None if weights is None else tuple(sorted(weights.items())))
        if key not in self._matches:
            if len(self._matches) >= 2048:
                self._matches.clear()
            self._matches[key] = self._match_uncached(targets, cands, weights)
        score, cos = self._matches[key]
        return score.copy(), cos.copy()

    def _match_uncached(self, targets: list[str], cands: list[Span], weights: dict[str, float] | None) -> tuple[np.ndarray, np.ndarray]:
        a = self.embedder.encode(targets)
        b = self.embedder.encode([c.text for c in cands])
        cos = a @ b.T
        lex = np.zeros_like(cos)
        span_stems = [_stems(c.text) for c in cands]
        for i, t in enumerate(targets):
            ts = _stems(t)
            if not ts:
                continue
            if weights is None:
                lex[i] = [len(ts & s) / len(ts) for s in span_stems]
            else:
                wt = {x: weights.get(x, weights[""]) for x in ts}
                total = sum(wt.values())
                lex[i] = [sum(wt[x] for x in ts & s) / total for s in span_stems]
        w = self.t.lexical_weight
        return (1 - w) * cos + w * lex, cos

    def anchors(self, card: Card) -> list[str]:
        """For each key point, the sample answer's sentence that says it: a
        second, spoken-style phrasing to match against."""
        sentences = [x.strip() for x in re.split(r"(?<=[.?!])\s+", card.sample_answer) if len(x.split()) >= 4]
        if not sentences:
            return list(card.key_points)
        fake = [Span(x, 0, 0, None) for x in sentences]
        score, _ = self._match(card.key_points, fake, self.word_weights(card))
        return [sentences[int(np.argmax(score[i]))] for i in range(len(card.key_points))]

    def key_points(self, card: Card, transcript: Transcript) -> list[KeyPointResult]:
        cands = spans(transcript)
        weights = self.word_weights(card)
        score, _ = self._match(card.key_points, cands, weights)
        if cands and self.t.anchor_weight > 0:
            anchor_score, _ = self._match(self.anchors(card), cands, weights)
            score = np.maximum(score, self.t.anchor_weight * anchor_score)
        score = contrast(score, self.t.contrast)
        mask, why = self.readings(card, transcript, cands, card.key_points)
        # Where the best span for a point was ruled out, say why (it said the opposite, or listed terms).
        ruled_out = [next((why[i][j] for j in np.argsort(-score[i])[:3] if why[i][j] and score[i, j] >= self.t.partial), "") for i in range(len(card.key_points))] if cands else []
        score = score * mask
        meant = self.meaning(card, transcript, cands) * mask if cands else None
        star = structure.star_evidence(card, transcript.text) if card.is_behavioral else {}
        out = []
        for i, kp in enumerate(card.key_points):
            if not cands:
                out.append(KeyPointResult(key_point=kp, verdict="missing", similarity=0.0))
                continue
            j = int(np.argmax(score[i]))
            s = float(score[i, j])
            verdict = "covered" if s >= self.t.covered else "partial" if s >= self.t.partial else "missing"
            best = cands[j]
            evidence, start = clause_quote(transcript, best.start_word, best.end_word)  # whole clauses, never cut mid-sentence
            hit = star.get(structure.star_part(kp, self.embedder)) if star else None
            by_meaning = False
            if hit and verdict != "covered" and not self.star_hit_ruled_out(card, kp, hit):
                # The STAR part this point asks for is plainly there.
                verdict = "covered" if s >= self.t.partial * 0.8 else "partial"
                evidence = hit
                start = quote_time(hit, transcript)
            elif verdict != "covered" and meant is not None and meant[i].max() > (0 if verdict == "missing" else 1):
                m = int(np.argmax(meant[i]))
                verdict, by_meaning = ("covered" if meant[i, m] >= 2 else "partial"), True
                evidence, start = clause_quote(transcript, cands[m].start_word, cands[m].end_word)
            out.append(
                KeyPointResult(
                    key_point=kp,
                    verdict=verdict,
                    evidence=evidence if verdict != "missing" else "",
                    evidence_start_s=start if verdict != "missing" else None,
                    similarity=round(s, 3),
                    confidence=confidence.MEANING if by_meaning else confidence.key_point_confidence(s, self.t.partial, verdict == "missing" and bool(ruled_out[i])),
                    note="said in other words (matched by meaning, not wording)" if by_meaning else f"ruled out: {ruled_out[i]}" if verdict == "missing" and ruled_out[i] else "",
                )
            )
        return out

    def meaning(self, card: Card, transcript: Transcript, cands: list[Span]) -> np.ndarray:
        """(key points x spans): 1 where a span says this key point in other
        words by the meaning path's tests (see :class:`Thresholds`), 2 where it
        passes them by the covered margin, else 0."""
        out = np.zeros((len(card.key_points), len(cands)))
        if self.t.meaning_cos <= 0 or not cands:
            return out
        title = self.embedder.encode([card.title])[0]
        spans_v = self.embedder.encode([c.text for c in cands])
        cos = self.embedder.encode(card.key_points) @ spans_v.T
        topic = spans_v @ title
        for i in range(len(card.key_points)):
            others = np.delete(cos, i, axis=0)
            rel = cos[i] - others.max(axis=0) if len(others) else cos[i]
            ok = (cos[i] >= self.t.meaning_cos) & (rel >= self.t.meaning_rel) & (cos[i] - topic >= self.t.meaning_topic)
            strong = ok & (rel >= self.t.meaning_strong) if self.t.meaning_strong > 0 else np.zeros_like(ok)
            out[i] = ok.astype(float) + strong
        return out

    def star_hit_ruled_out(self, card: Card, kp: str, hit: str) -> bool:
        """A STAR pattern's sentence cannot stand for a point when it is a list
        of terms ("situation, my role, outcome, lessons learned") or says the
        opposite of the point ("I didn't take away any lesson")."""
        said = claims.make_claim(self.parser, hit)
        if self.t.list_gate and said.is_list:
            return True
        return self.t.polarity_gate and bool(claims.reversal(self.point_claim(kp), said, claims.contrast_terms(card), self.t.negation_overlap))

    def mistakes(self, card: Card, transcript: Transcript, kps: list[KeyPointResult]) -> list[MistakeResult]:
        out = []
        cands = spans(transcript)
        for m in card.common_mistakes:
            if m.kind == MistakeKind.omission:
                idx = m.key_point
                if idx is None:  # map the omission to its closest key point
                    sims = self.embedder.encode([m.text]) @ self.embedder.encode(card.key_points).T
                    idx = int(np.argmax(sims[0])) + 1
                kp = kps[idx - 1]
                verdict = {"missing": "made", "covered": "not_made", "partial": "unsure"}[kp.verdict]
                out.append(MistakeResult(mistake=m.text, kind=m.kind, verdict=verdict, evidence=kp.evidence if verdict != "made" else "",
                                         confidence=kp.confidence, note=f"follows from key point {idx}"))
                continue
            if not cands:
                out.append(MistakeResult(mistake=m.text, kind=m.kind, verdict="not_made"))
                continue
            core = claim_core(m.text)
            score, _ = self._match([core], cands)
            mask, why = self.readings(card, transcript, cands, [core])
            j = int(np.argmax(score[0] * mask[0]))
            s = float(score[0, j] * mask[0, j])
            raw_j = int(np.argmax(score[0]))
            span = cands[j].text
            quote = clause_quote(transcript, cands[j].start_word, cands[j].end_word)[0]  # shown: whole clauses
            denied = why[0][raw_j] if mask[0, raw_j] == 0 else ""
            conf = confidence.claim_confidence(s, self.t.claim_made, self.t.claim_absent, bool(denied) and s < self.t.claim_absent)
            if s >= self.t.claim_made:
                out.append(MistakeResult(mistake=m.text, kind=m.kind, verdict="made", evidence=quote, confidence=conf, note="said in nearly these words"))
            elif s < self.t.claim_absent:
                note = f"the answer says the opposite ({denied})" if denied else "nothing in the answer resembles this claim"
                out.append(MistakeResult(mistake=m.text, kind=m.kind, verdict="not_made", confidence=conf, note=note))
            else:
                out.append(MistakeResult(mistake=m.text, kind=m.kind, verdict="unsure", evidence=quote, confidence=min(conf, 0.5),
                                         note="a similar statement is there, but not close enough to be sure"))
        return out

    def warm(self, card: Card) -> None:
        """Load what the first verdict needs (the parser: seconds on a 2-core
        CPU) and read the card, so judging the answer when it ends is quick.
        Run in the background while the candidate speaks."""
        self.judge(card, Transcript(text=card.title, engine="warm", model=""), None)

    def judge(self, card: Card, transcript: Transcript, delivery: Delivery | None) -> Verdicts:
        kps = self.key_points(card, transcript)
        mistakes = self.mistakes(card, transcript, kps)
        struct = structure.analyse(card, transcript.text)
        wc = len(transcript.text.split())
        d_score, d_notes = scoring.delivery_score(card, delivery, wc)
        scores = Scores(
            structure=struct.score if wc >= 15 else 1,
            delivery=d_score,
            coverage=scoring.coverage_score(kps),
            overall=scoring.overall(card, kps, mistakes, struct.score if wc >= 15 else 1, d_score, wc),
        )
        fixes = content_fixes(kps, mistakes) + struct.notes[:1] + (d_notes[:1] if delivery is not None else [])
        return Verdicts(key_points=kps, mistakes=mistakes, scores=scores, fixes=fixes[:3], structure_notes=struct.notes + d_notes, judge=self.info)


@lru_cache(maxsize=1 << 15)
def _stems(text: str) -> frozenset[str]:
    """content_stems, kept: the same spans and key points are matched many times."""
    return frozenset(content_stems(text))


def contrast(score: np.ndarray, weight: float) -> np.ndarray:
    """Make a (key points x spans) score matrix discriminative between key
    points: where another key point matches a span better (by a gap g), this
    key point's score for that span drops by ``weight * g``."""
    if weight <= 0 or score.shape[0] < 2 or score.shape[1] == 0:
        return score
    # The gap to the best key point of each span is the gap to the best *other*
    # key point wherever there is one, and 0 for the best key point itself.
    return score - weight * (score.max(axis=0, keepdims=True) - score)


def content_fixes(kps: list[KeyPointResult], mistakes: list[MistakeResult]) -> list[str]:
    """The content fixes, worded as sure as the judge is: a point it missed with
    confidence is "Cover this point"; one it could not confirm (low confidence)
    is "I could not confirm ... in your answer; say it explicitly". A mistake is
    only said to be made when the judge is confident of it."""
    fixes = []
    for m in mistakes:
        if m.kind == MistakeKind.claim and m.verdict == "made" and confident(m.confidence):
            fixes.append(f"Correct this: {m.mistake.rstrip('.')} is a common mistake, and your answer made it.")
    missing = [k for k in kps if k.verdict == "missing"]
    partial = [k for k in kps if k.verdict == "partial"]
    for k in missing[:2]:
        if confident(k.confidence):
            fixes.append(f"Cover this point: {k.key_point}")
        else:
            fixes.append(f"I could not confirm this point in your answer; say it explicitly: {k.key_point}")
    for k in partial[:1]:
        fixes.append(f"Make this point explicit: {k.key_point}")
    return fixes


def confident(c: float | None) -> bool:
    return c is None or c >= confidence.CONFIDENT
