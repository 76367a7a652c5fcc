"""What a sentence of the answer claims, as far as the offline judge can read it
without a language model: whether it states anything at all (a spoken list of
terms does not), and whether it says the opposite of a key point (negation
scope from the parser, antonyms and reversed comparatives, the card's contrast
terms swapped).

Sentence embeddings rate "L1 does not push weights to zero" closer to "L1
pushes weights to zero" than a correct paraphrase (``../shared`` notes:
negation 0.61 vs paraphrase 0.39 mean cosine), so similarity finds the
sentence about a point and this module decides which way it goes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import Card
from .nlp import Parser, Sentence
from .text import STOPWORDS, content_stems, stem, words_of

# Negation cues: the parser's `neg` (not, n't, never) plus negative quantifiers.
# ("barely", "hardly" are degree words: "ROC AUC barely registers it" agrees with its point.)
NEG_LEMMAS = {"no", "never", "nothing", "none", "neither", "nor", "without", "nobody", "cannot", "rarely", "seldom", "nowhere"}
# "not just", "not only": an addition, not a denial.
_NOT_A_DENIAL = {"just", "only", "merely", "necessarily"}
# "X rather than Y", "X instead of Y", "X as opposed to Y": Y is what is denied.
_DENY_BEFORE = re.compile(r"\b(rather than|instead of|as opposed to|not|nothing to do with)\b", re.I)
# Children whose subtrees are separate claims, outside a negated verb's scope.
_OUTSIDE_SCOPE = {"conj", "cc", "advcl", "parataxis", "punct", "mark", "ccomp", "relcl"}

# Antonyms and reversed comparatives, by lemma (and by the comparative's own
# word, which the lemmatizer does not always reduce).
_PAIRS = re.split(r"[|\n]", """more less|more fewer|high low|higher lower|increase decrease|increase reduce|raise lower|fast slow|faster slower
before after|always never|sparse dense|large small|big small|bigger smaller|larger smaller|above below|stable unstable
biased unbiased|accurate inaccurate|better worse|improve worsen|improve hurt|robust sensitive|early late
add remove|keep drop|keep remove|include exclude|overestimate underestimate|strong weak|safe unsafe|cheap expensive
grow shrink|overfit underfit|correct incorrect|reliable unreliable|affected unaffected|unchanged changed|open closed
inflate deflate|wider narrower|wide narrow|slowly quickly|stabilise destabilise|stabilize destabilize
help hurt|easier harder|easy hard|upper lower|maximum minimum|lose keep|preserve remove""")
ANTONYMS: dict[str, set[str]] = {}
for _pair in _PAIRS:
    _a, _b = _pair.split()
    ANTONYMS.setdefault(_a, set()).add(_b)
    ANTONYMS.setdefault(_b, set()).add(_a)


@dataclass
class Claim:
    """One sentence of the answer (or of a key point), read for polarity."""

    text: str
    start_word: int  # token range in the transcript's whitespace tokens
    end_word: int
    stems: set[str]
    words: set[str]  # lemmas and lowercase words
    neg_scopes: list[set[str]] = field(default_factory=list)  # content stems under each negation
    is_list: bool = False  # a list of terms, no claim


def is_list_like(text: str) -> bool:
    """A spoken list of terms ("L1, L2, sparsity, weights, feature selection"):
    most comma-separated fragments are a few words long."""
    frags = [f for f in re.split(r"[,;:]", text) if words_of(f)]
    if len(frags) < 5:
        return False
    short = sum(len(words_of(f)) <= 3 for f in frags)
    return short / len(frags) >= 0.7


def negation_scopes(s: Sentence) -> list[set[str]]:
    """For each negation in the sentence, the content stems it applies to: the
    negated predicate with its arguments (not its coordinated or subordinate
    clauses), the noun phrase under "no"/"without", or what follows "rather
    than"/"instead of"."""
    toks = s.tokens
    kids: dict[int, list[int]] = {}
    for j, t in enumerate(toks):
        if t.head != j:
            kids.setdefault(t.head, []).append(j)

    def scope(i: int, top: bool = True) -> list[int]:
        out = [i]
        for k in kids.get(i, []):
            if top and toks[k].dep in _OUTSIDE_SCOPE:
                continue
            out.extend(scope(k, top=False))
        return out

    def stems_of(idx: list[int]) -> set[str]:
        return {stem(toks[k].text.lower()) for k in idx if toks[k].text.lower() not in STOPWORDS and len(toks[k].text) > 2 and toks[k].text[0].isalnum()} - {""}

    scopes: list[set[str]] = []
    lower = [t.text.lower() for t in toks]
    for i, t in enumerate(toks):
        if t.dep == "neg" or t.lemma in NEG_LEMMAS or lower[i] in NEG_LEMMAS:
            if i + 1 < len(toks) and lower[i + 1] in _NOT_A_DENIAL:
                continue
            if lower[i] == "without" or (lower[i] == "no" and t.dep == "det") or t.dep == "det":
                head = t.head if t.dep == "det" else i
                idx = scope(head, top=False)
                verb = toks[head].head
                if toks[verb].pos in ("VERB", "AUX") and verb != head:
                    idx.append(verb)
            else:
                head = t.head
                # Walk up to the predicate: "nothing" is the subject of its verb.
                while toks[head].pos not in ("VERB", "AUX", "ADJ") and toks[head].head != head:
                    head = toks[head].head
                idx = scope(head)
            scopes.append(stems_of(idx))
    # "X rather than Y": the words after the phrase, up to the clause end.
    for m in re.finditer(r"\b(rather than|instead of|as opposed to|nothing to do with)\b([^,.;]*)", s.text, re.I):
        scopes.append(content_stems(m.group(2)))
    return [x for x in scopes if x]


def read_claims(parser: Parser | None, tokens: list[str]) -> list[Claim]:
    """The transcript's sentences with their token ranges, parsed."""
    out: list[Claim] = []
    start = 0
    n = len(tokens)
    for i, tok in enumerate(tokens):
        if tok.endswith((".", "?", "!", ";")) or i == n - 1:
            text = " ".join(tokens[start : i + 1])
            out.append(make_claim(parser, text, start, i + 1))
            start = i + 1
    return out


def make_claim(parser: Parser | None, text: str, start: int = 0, end: int = 0) -> Claim:
    words = set(words_of(text))
    scopes: list[set[str]] = []
    if parser is not None:
        for s in parser.parse(text):
            words |= {t.lemma for t in s.tokens}
            scopes += negation_scopes(s)
    return Claim(text=text, start_word=start, end_word=end, stems=content_stems(text), words=words, neg_scopes=scopes, is_list=is_list_like(text))


def contrast_terms(card: Card) -> list[tuple[str, str]]:
    """The two things a card contrasts, as one distinctive word each, from its
    title: "difference between L1 and L2", "PR AUC over ROC AUC", "the median
    rather than the mean", "A vs B"."""
    t = card.title
    pats = [r"between (.+?) and (.+?)[,?.]", r"(?:use|prefer|report) (.+?) (?:over|instead of|rather than) (.+?)[,?.]", r"^(.+?) vs\.? (.+?)[,?.]"]
    for p in pats:
        m = re.search(p, t, re.I)
        if m:
            a, b = ([w for w in words_of(x) if w not in STOPWORDS] for x in m.groups())
            # The first word of each side that the other lacks: "L2 regularization" -> "l2".
            da, db = [w for w in a if w not in b], [w for w in b if w not in a]
            if da and db:
                return [(da[0], db[0])]
    return []


def reversal(point: Claim, sentence: Claim, pairs: list[tuple[str, str]], min_overlap: int = 2) -> str:
    """Why ``sentence`` says the opposite of ``point`` ("" when it does not).
    A negation counts when what it covers shares ``min_overlap`` content words
    with the point's claim (one shared word is too often incidental: "the
    median is robust, the mean is not")."""
    kp_neg = set().union(*point.neg_scopes) if point.neg_scopes else set()
    positive = point.stems - kp_neg
    for sc in sentence.neg_scopes:
        hit = sc & positive
        if len(hit) >= min(min_overlap, len(positive)) and hit and not (sc & kp_neg):
            return f"negated: {', '.join(sorted(hit))}"
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            if x in point.words and y not in point.words and y in sentence.words and x not in sentence.words:
                return f"says {y} where the point says {x}"
    shared = point.stems & sentence.stems
    if len(shared) >= 1:
        for w in point.words:
            for anti in ANTONYMS.get(w, ()):
                if anti in sentence.words and w not in sentence.words and anti not in point.words:
                    return f"says {anti} where the point says {w}"
    return ""
