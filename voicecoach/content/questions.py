"""Load and validate question cards (one card per YAML or JSON file)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from voicecoach.paths import BUILTIN_BANK
from voicecoach.errors import CardError, Step
from voicecoach.models import Card

CARD_SUFFIXES = (".yaml", ".yml", ".json")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster


@dataclass
class CardProblem:
    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else str(self.path)
        return f"{where}: {self.message}"


def _describe(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(card)"
        msg = e["msg"]
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; allowed: id, title, category, difficulty, why_asked, how_to_answer, key_points, sample_answer, common_mistakes, tags, time_limit_s, origin)"
        elif e["type"] == "too_short" and "key_points" in loc:
            msg = "must list at least one key point"
        elif e["type"] == "literal_error" and loc == "difficulty":
            msg = f"must be Easy, Medium or Hard (got {e.get('input')!r})"
        out.append((loc, msg))
    return out


def check_card(data: dict) -> tuple[Card | None, list[tuple[str, str]]]:
    """A card from a mapping of fields, or the problems found, each as
    (field location such as "key_points.2", message): the same validation and
    wording as a card file (``voicecoach questions validate``)."""
    try:
        return Card.model_validate(data), []
    except ValidationError as exc:
        return None, _describe(exc)


def parse_card(path: Path) -> Card:
    """Read one card file. Raises CardError naming the file and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CardError(f"{path}: card file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"{path}: cannot read card file ({exc})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_LOADER)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" at line {exc.lineno}, column {exc.colno}"
        raise CardError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}{where}") from exc
    if not isinstance(data, dict):
        raise CardError(f"{path}: a card must be a mapping of fields, got {type(data).__name__}")
    card, found = check_card(data)
    if card is None:
        problems = "; ".join(f"{loc}: {msg}" for loc, msg in found)
        raise CardError(f"{path}: {problems}", hint="See 'Writing a card' in the README.")
    return card


def card_files(root: Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in CARD_SUFFIXES and p.is_file())


@dataclass
class Bank:
    cards: dict[str, Card] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[CardProblem] = field(default_factory=list)

    def get(self, card_id: str) -> Card:
        try:
            return self.cards[card_id]
        except KeyError:
            close = [c for c in self.cards if card_id.lower() in c]
            hint = f"Did you mean: {', '.join(close[:5])}?" if close else ""
            raise CardError(f"no question with id {card_id!r}", hint=hint, step=None if close else Step("list_questions")) from None

    def filter(self, category: str | None = None, difficulty: str | None = None, search: str | None = None) -> list[Card]:
        out = []
        for card in self.cards.values():
            if category and category.lower() not in card.category.lower():
                continue
            if difficulty and difficulty.lower() != card.difficulty.lower():
                continue
            if search:
                hay = " ".join([card.id, card.title, card.category, *card.tags, *card.key_points]).lower()
                if not all(term in hay for term in search.lower().split()):
                    continue
            out.append(card)
        return sorted(out, key=lambda c: (c.category, c.id))

    def pick(self, rng: random.Random | None = None, **filters) -> Card:
        pool = self.filter(**filters)
        if not pool:
            raise CardError("no question matches those filters", step=Step("list_questions"))
        return (rng or random.Random()).choice(pool)


def load_bank(dirs: list[Path] | None = None, include_builtin: bool = True) -> Bank:
    """Merge the built-in bank with user banks. A bad card is recorded as a
    problem and skipped (it never hides the rest); an id clash is a problem
    naming both files."""
    bank = Bank()
    roots = ([BUILTIN_BANK] if include_builtin else []) + [Path(d) for d in (dirs or [])]
    for root in roots:
        if not root.exists():
            continue
        for path in card_files(root):
            try:
                card = parse_card(path)
            except CardError as exc:
                bank.problems.append(CardProblem(path, "", str(exc).removeprefix(f"{path}: ")))
                continue
            if card.id in bank.cards:
                bank.problems.append(
                    CardProblem(path, "id", f"id {card.id!r} is already used by {bank.sources[card.id]}")
                )
                continue
            bank.cards[card.id] = card
            bank.sources[card.id] = path
    return bank


def resolve_card(id_or_path: str, bank: Bank) -> Card:
    """A card id from the bank, or a path to a card file outside it."""
    p = Path(id_or_path)
    if p.suffix in CARD_SUFFIXES or p.exists():
        return parse_card(p)
    return bank.get(id_or_path)
