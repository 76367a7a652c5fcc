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
from functools import lru_cache

from voicecoach.models import Card
from voicecoach.judge.nlp import Parser, Sentence
from voicecoach.judge.text import STOPWORDS, content_stems, stem, words_of

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
help hurt|easier harder|easy hard|upper lower|maximum minimum|lose keep|preserve remove
encourage discourage|good bad|better bad|useful useless""")
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
    # Per negation: "main" (it negates the sentence's main predicate), "sub"
    # (a subordinate clause), "rel" (inside a relative clause: it qualifies a
    # noun, "rows where the column is not NULL") or "instead" ("rather than").
    neg_kinds: list[str] = field(default_factory=list)
    pos: dict[str, set[str]] = field(default_factory=dict)  # word or lemma -> parts of speech


def is_list_like(text: str) -> bool:
    """A spoken list of terms ("L1, L2, sparsity, weights, feature selection"):
    most comma-separated fragments are a few words long."""
    frags = [f for f in re.split(r"[,;:]", text) if words_of(f)]
    if len(frags) < 5:
        return False
    short = sum(len(words_of(f)) <= 3 for f in frags)
    return short / len(frags) >= 0.7


def lemma_stem(t) -> str:
    """The stem of a token's lemma ("" for a stopword or a short word): "raised"
    and "raise", "took" and "take" meet; both sides of a comparison use it."""
    w = t.text.lower()
    if w in STOPWORDS or len(w) <= 2 or not w[0].isalnum():
        return ""
    lem = t.lemma if t.lemma and t.lemma[0].isalnum() else w
    return stem(lem)


# Words that say something is wrong or absent: a point worded with one
# ("'pick any two' is misleading", "early layers barely change") agrees with a
# sentence that denies the rest ("the pick-any-two framing doesn't hold").
NEG_POLARITY = {"misleading", "mislead", "wrong", "false", "incorrect", "fail", "lack", "barely", "hardly", "avoid", "prevent",
                "stop", "lose", "miss", "ignore", "bad", "worse", "myth", "unable", "impossible", "risk", "harm", "hurt"}
# Words of substitution: a point worded "replaces X with Y" agrees with "instead of X, Y".
SUBSTITUTION = {"replace", "instead", "rather", "substitute", "swap"}

# Negated verbs of knowing and saying take their clause with them: "I don't
# know what happened in the end" denies that anything is said about the end.
_CLAUSE_TAKING = {"know", "remember", "recall", "think", "say", "mention", "explain", "describe", "see", "notice", "believe", "sure"}
# Parts of speech after "not" that make it a contrast ("on a validation set, not on
# the test set"; "the median, not the mean"): the negation covers that phrase only.
_PHRASE_AFTER_NOT = {"ADP", "DET", "NOUN", "PROPN", "NUM", "PRON"}


def negation_scopes(s: Sentence) -> list[set[str]]:
    """For each negation in the sentence, the content stems it applies to."""
    return [sc for sc, _kind in _scopes(s)]


def _scopes(s: Sentence) -> list[tuple[set[str], str]]:
    """For each negation in the sentence, the content stems it applies to (the
    negated predicate with its arguments, not its coordinated or subordinate
    clauses, except a coordination with "or"/"nor", and the clause of a negated
    "know", "remember", "say"...; the noun phrase under "no"/"without"; the
    phrase after a contrastive "not"; what follows "rather than"/"instead of"),
    and its kind (see :class:`Claim`). A negation reaches no further than its
    comma-separated stretch of the sentence. Stems of lemmas ("raised" and
    "raise" meet)."""
    toks = s.tokens
    kids: dict[int, list[int]] = {}
    for j, t in enumerate(toks):
        if t.head != j:
            kids.setdefault(t.head, []).append(j)
    lower = [t.text.lower() for t in toks]

    def scope(i: int, top: bool = True) -> list[int]:
        out = [i]
        ch = kids.get(i, [])
        disjunct = any(toks[k].dep == "cc" and lower[k] in ("or", "nor") for k in ch)
        for k in ch:
            d = toks[k].dep
            if top and d in _OUTSIDE_SCOPE:
                if not ((d == "conj" and disjunct) or (d == "ccomp" and toks[i].lemma in _CLAUSE_TAKING)):
                    continue
            out.extend(scope(k, top=False))
        return out

    def stems_of(idx: list[int]) -> set[str]:
        out: set[str] = set()
        for k in idx:
            w = lower[k]
            if w in STOPWORDS or len(w) <= 2 or not w[0].isalnum():
                continue
            out.add(lemma_stem(toks[k]))
        return out - {""}

    breaks = [j for j, w in enumerate(lower) if w in (",", ";", ":", "--", "-")]

    def stretch(i: int, idx: list[int]) -> list[int]:
        lo = max([b for b in breaks if b < i], default=-1)
        hi = min([b for b in breaks if b > i], default=len(toks))
        return [k for k in idx if lo < k < hi]

    def kind(h: int) -> str:
        """"main": the root, or a clause joined to it as an equal (the parser
        often hangs "..., I didn't do anything, I kept ..." under another clause
        as ccomp, conj or parataxis); "rel" inside a clause opened by a
        relative word (where, which, who, that); else "sub"."""
        out = "main"
        for _ in range(len(toks)):
            if toks[h].head == h:
                return out
            if toks[h].dep in ("relcl", "acl", "advcl") and any(
                k < h and lower[k] in ("where", "which", "who", "whom", "whose", "that") for k in kids.get(h, [])
            ):
                return "rel"  # "rows where the column is not NULL"
            if toks[h].dep not in ("ccomp", "conj", "parataxis"):
                out = "sub"
            h = toks[h].head
        return out

    scopes: list[tuple[set[str], str]] = []
    for i, t in enumerate(toks):
        if t.dep == "neg" or t.lemma in NEG_LEMMAS or lower[i] in NEG_LEMMAS:
            if i + 1 < len(toks) and lower[i + 1] in _NOT_A_DENIAL:
                continue
            if lower[i] == "no" and i + 1 < len(toks) and lower[i + 1] in ("matter", "doubt"):
                continue  # "no matter what", "no doubt": idioms, not denials
            k = "sub"
            if lower[i] == "without" or (lower[i] == "no" and t.dep == "det") or t.dep == "det":
                head = t.head if t.dep == "det" else i
                idx = scope(head, top=False)
                verb = toks[head].head
                if toks[verb].pos in ("VERB", "AUX") and verb != head:
                    idx.append(verb)
            elif lower[i] == "not" and i + 1 < len(toks) and toks[i + 1].pos in _PHRASE_AFTER_NOT and i > 0 and lower[i - 1] in (",", "and", "but", "or"):
                # ", not on the test set", "and not others": a contrast, the phrase after it is denied.
                idx = [i + 1, *scope(i + 1, top=False)]
            else:
                head = t.head
                # Walk up to the predicate: "nothing" is the subject of its verb.
                while toks[head].pos not in ("VERB", "AUX", "ADJ") and toks[head].head != head:
                    head = toks[head].head
                idx = scope(head)
                k = kind(head)
            scopes.append((stems_of(stretch(i, idx)), k))
    # "X rather than Y": the words after the phrase, up to the clause end.
    lemma_of = {t.text.lower(): lemma_stem(t) for t in toks}
    for m in re.finditer(r"\b(rather than|instead of|as opposed to|nothing to do with)\b([^,.;]*)", s.text, re.I):
        scopes.append(({lemma_of.get(w, stem(w)) for w in words_of(m.group(2)) if w not in STOPWORDS and len(w) > 2} - {""}, "instead"))
    # "useless", "pointless": the word they are built on is denied ("the mean is useless" denies using it).
    for i, t in enumerate(toks):
        if t.pos == "ADJ" and lower[i].endswith("less") and len(lower[i]) >= 7:
            scopes.append(({stem(lower[i][:-4])}, kind(t.head if t.dep == "acomp" else i)))
    return [(x, r) for x, r in scopes if x]


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
    stems = content_stems(text)
    scopes: list[set[str]] = []
    kinds: list[str] = []
    pos: dict[str, set[str]] = {}
    if parser is not None:
        stems = set()
        for s in parser.parse(text):
            words |= {t.lemma for t in s.tokens}
            stems |= {lemma_stem(t) for t in s.tokens}
            for t in s.tokens:
                pos.setdefault(t.lemma, set()).add(t.pos)
                pos.setdefault(t.text.lower(), set()).add(t.pos)
            for sc, k in _scopes(s):
                scopes.append(sc)
                kinds.append(k)
        stems.discard("")
    return Claim(text=text, start_word=start, end_word=end, stems=stems, words=words, neg_scopes=scopes, is_list=is_list_like(text), neg_kinds=kinds, pos=pos)


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


# Prefixes that turn a word into its opposite ("stable"/"unstable", "agree"/"disagree").
_NEG_PREFIXES = ("un", "in", "im", "dis", "non")


@lru_cache(maxsize=1 << 14)
def opposites(w: str) -> frozenset[str]:
    """Antonyms of a word: the listed pairs, and the word with or without a negative prefix."""
    out = set(ANTONYMS.get(w, ()))
    if len(w) >= 4:
        out |= {p + w for p in _NEG_PREFIXES}
    for p in _NEG_PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 5:
            out.add(w[len(p):])
    return frozenset(out)


def reversal(point: Claim, sentence: Claim, pairs: list[tuple[str, str]], min_overlap: int = 2) -> str:
    """Why ``sentence`` says the opposite of ``point`` ("" when it does not).

    - Its negations cover ``min_overlap`` of the words the point affirms, all
      together (one shared word is too often incidental: "the median is
      robust, the mean is not"); or one of them, when the negation is on the
      sentence's main verb and the sentence shares three words with the point
      ("When the estimate would slip I didn't personally do anything").
    - A negation that also covers what the point itself denies agrees with the
      point, unless the sentence then affirms the rest of what the point
      denies: a swap ("on the test set, not on a validation set" against "on a
      validation set, not on the test set").
    - The card's contrast terms swapped, or an antonym of a point's word."""
    kp_neg = set().union(*point.neg_scopes) if point.neg_scopes else set()
    positive = point.stems - kp_neg
    polar = {w for w in point.words if w in NEG_POLARITY}
    substitutes = bool(point.words & SUBSTITUTION)
    if positive:
        negated = set().union(*sentence.neg_scopes) if sentence.neg_scopes else set()
        affirmed = sentence.stems - negated
        hits: set[str] = set()
        main_hit = swap = False
        kinds = sentence.neg_kinds or ["sub"] * len(sentence.neg_scopes)
        for sc, k in zip(sentence.neg_scopes, kinds):
            if k == "rel" or (k == "instead" and substitutes):
                continue  # a negation qualifying a noun; "instead of" agreeing with "replaces"
            hit = (sc - kp_neg) & positive
            if not hit:
                continue
            if sc & kp_neg:
                if not ((kp_neg - sc) & affirmed):
                    continue  # it denies what the point denies: agreement
                swap = True
            hits |= hit
            main_hit = main_hit or k == "main"
        if polar and not ({stem(w) for w in polar} & hits):
            hits = set()  # the point is worded negatively; denying the rest agrees with it
        if hits and len(hits) >= min(min_overlap, len(positive)):
            return f"negated: {', '.join(sorted(hits))}"
        one_word = main_hit and not point.neg_scopes and len((point.stems & sentence.stems) | hits) >= 3
        if hits and (swap or one_word):
            return f"negated: {', '.join(sorted(hits))}"
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            if x in point.words and y not in point.words and y in sentence.words and x not in sentence.words:
                return f"says {y} where the point says {x}"
    shared = point.stems & sentence.stems
    if len(shared) >= 1:
        for w in point.words:
            for anti in opposites(w):
                if anti in sentence.words and w not in sentence.words and anti not in point.words and same_pos(point, w, sentence, anti):
                    return f"says {anti} where the point says {w}"
    return ""


def same_pos(a: Claim, w: str, b: Claim, x: str) -> bool:
    """Antonyms count as the same part of speech ("the drop in inertia" is no
    antonym of "keep"); unknown without a parser."""
    pa, pb = a.pos.get(w), b.pos.get(x)
    if not pa or not pb:
        return True
    return bool(pa & pb) or {"ADJ", "ADV"} >= (pa | pb)
