"""Text helpers shared by the judges: spans of a transcript with their times,
fuzzy quote matching, content words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from voicecoach.models import Transcript

STOPWORDS = set(
    """a an the and or but if then so of to in on at for with by from as is are was were be been being it its this that
    these those there here i you he she we they me my our your their them us do does did done have has had having not no
    can could would should will shall may might must just very really also about into over than more most such what which
    who whom when where why how all any each both few other some own same too only um uh like know mean well okay yeah""".split()
)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


@lru_cache(maxsize=1 << 16)  # the judges stem the same words many times over
def stem(w: str) -> str:
    for suf in ("ations", "ation", "ings", "ing", "ies", "ied", "ness", "ment", "ers", "er", "ed", "es", "ly", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words_of(text) if w not in STOPWORDS and len(w) > 2}


@dataclass(frozen=True)
class Span:
    text: str
    start_word: int
    end_word: int  # exclusive
    start_s: float | None


def transcript_tokens(transcript: Transcript) -> tuple[list[str], list[float | None]]:
    """Tokens of the answer with their start times (None for typed answers)."""
    if transcript.words:
        return [w.word for w in transcript.words], [w.start for w in transcript.words]
    toks = transcript.text.split()
    return toks, [None] * len(toks)


_CLAUSE_BREAK = re.compile(r"[.?!;:]$|,$")
_CLAUSE_WORDS = {"because", "but", "whereas", "while", "although", "so", "which", "and"}


def spans(transcript: Transcript, window: int = 14, stride: int = 5) -> list[Span]:
    """Clauses (split at punctuation and linking words) plus sliding windows,
    so a key point said across a clause boundary is still found."""
    toks, times = transcript_tokens(transcript)
    out: list[Span] = []
    n = len(toks)
    if n == 0:
        return out
    # sentences and clauses
    start = 0
    for i, tok in enumerate(toks):
        nxt = toks[i + 1].lower().strip(",.") if i + 1 < n else ""
        if _CLAUSE_BREAK.search(tok) or i == n - 1 or (nxt in _CLAUSE_WORDS and i - start >= 5):
            if i + 1 - start >= 3:
                out.append(Span(" ".join(toks[start : i + 1]), start, i + 1, times[start]))
            start = i + 1
    # sentence-level spans
    start = 0
    for i, tok in enumerate(toks):
        if tok.endswith((".", "?", "!")) or i == n - 1:
            if i + 1 - start >= 3:
                out.append(Span(" ".join(toks[start : i + 1]), start, i + 1, times[start]))
            start = i + 1
    for s in range(0, max(1, n - window + stride), stride):
        e = min(n, s + window)
        out.append(Span(" ".join(toks[s:e]), s, e, times[s]))
    seen, unique = set(), []
    for sp in out:
        key = (sp.start_word, sp.end_word)
        if key not in seen:
            seen.add(key)
            unique.append(sp)
    return unique


_CLAUSE_END = re.compile(r"[.?!;:,]\W*$")


def whole_clause(toks: list[str], start: int, end: int, reach: int = 14) -> tuple[int, int]:
    """Widen a span of tokens [start, end) to whole clauses, so a quote never
    starts or stops mid-sentence: back to the start of its clause, and on to
    the end of its last clause (a fragment of three words or fewer after a
    clause break is dropped instead, as is a longer one whose clause runs on
    past ``reach``). Goes at most ``reach`` words each way."""
    n = len(toks)
    if not n or start >= end:
        return start, end

    def ends(i: int) -> bool:  # token i ends a clause
        return bool(_CLAUSE_END.search(toks[i].strip()))

    j = start
    while j > 0 and not ends(j - 1) and start - j < reach:
        j -= 1
    if j == 0 or ends(j - 1):
        start = j
    if end < n and not ends(end - 1):
        k = end - 1
        while k > start and not ends(k - 1):
            k -= 1
        if k > start and end - k <= 3:
            end = k  # "... from the one-hot label; it" -> "... from the one-hot label;"
        else:
            j = end
            while j < n and not ends(j - 1) and j - end < reach:
                j += 1
            if j == n or ends(j - 1):
                end = j
            elif k > start:
                end = k  # the clause runs on too far: stop at the last break inside the span
    return start, end


def clause_quote(transcript: Transcript, start: int, end: int) -> tuple[str, float | None]:
    """The whole-clause quote around tokens [start, end), and when it starts."""
    toks, times = transcript_tokens(transcript)
    s, e = whole_clause(toks, start, end)
    return " ".join(t.strip() for t in toks[s:e]).rstrip(",;:"), times[s] if s < len(times) else None


def _norm_words(text: str) -> list[str]:
    return words_of(text.replace("-", " "))


def find_quote(quote: str, transcript_text: str, min_ratio: float = 0.85) -> tuple[bool, float]:
    """Is ``quote`` in the transcript? Tolerant of case, punctuation, hyphens
    and small transcription differences. Returns (found, best ratio)."""
    q = _norm_words(quote)
    t = _norm_words(transcript_text)
    if not q:
        return False, 0.0
    if len(q) > len(t) + 2:
        return False, 0.0
    qs = " ".join(q)
    if qs in " ".join(t):
        return True, 1.0
    best = 0.0
    n = len(q)
    for size in {n - 1, n, n + 1}:
        if size <= 0:
            continue
        for i in range(0, max(1, len(t) - size + 1)):
            cand = " ".join(t[i : i + size])
            r = SequenceMatcher(None, qs, cand, autojunk=False).ratio()
            if r > best:
                best = r
                if best >= 0.999:
                    return True, best
    return best >= min_ratio, round(best, 3)


def quote_time(quote: str, transcript: Transcript) -> float | None:
    """When a quote starts in the audio: the first word matching its first
    three words (None for typed answers or no match)."""
    if not quote or not transcript.words:
        return None
    target = words_of(quote)[:3]
    toks = [(words_of(w.word) or [""])[0] for w in transcript.words]
    for i in range(len(toks) - len(target) + 1):
        if toks[i : i + len(target)] == target:
            return transcript.words[i].start
    return None
