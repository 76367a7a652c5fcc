"""The card editor's form: a card to form values and back, the card's own
validation (questions.check_card, as `voicecoach questions validate`) mapped
to the form's fields, and saving to the user's bank as one YAML file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voicecoach.models import Card, MistakeKind
from voicecoach.content.questions import check_card, parse_card

MISTAKE_ROWS = 6  # the card schema allows up to six common mistakes
TEXT_FIELDS = ("id", "title", "category", "difficulty", "why_asked", "how_to_answer", "key_points", "sample_answer", "tags", "time_limit_s")
LABELS = {"id": "Id", "title": "Question", "category": "Category", "difficulty": "Difficulty", "why_asked": "Why it is asked",
          "how_to_answer": "How to answer", "key_points": "Key points", "sample_answer": "Sample answer",
          "common_mistakes": "Common mistakes", "tags": "Tags", "time_limit_s": "Time limit"}
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass
class CardForm:
    """What the form shows: the values as typed and the problems by field."""

    values: dict[str, str] = field(default_factory=dict)
    mistakes: list[dict[str, str]] = field(default_factory=list)  # MISTAKE_ROWS rows: text, kind, key_point
    errors: dict[str, list[str]] = field(default_factory=dict)  # field name (or mistake_N) -> messages

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def summary(self) -> list[tuple[str, str, str]]:
        """(element id to jump to, field name, message) for each problem, in form order."""
        order = ["card", "title", "id", "category", "difficulty", "time_limit_s", "why_asked", "how_to_answer", "key_points",
                 "sample_answer", "common_mistakes", *(f"mistake_{i}" for i in range(MISTAKE_ROWS)), "tags"]
        out = []
        for name in sorted(self.errors, key=lambda n: order.index(n) if n in order else len(order)):
            if name.startswith("mistake_"):
                target, label = f"mistake_text_{name[8:]}", f"Mistake {int(name[8:]) + 1}"
            else:
                target, label = ("common_mistakes" if name == "common_mistakes" else name), LABELS.get(name, "")
            out += [(target, label, m) for m in self.errors[name]]
        return out


def blank() -> CardForm:
    values = {k: "" for k in TEXT_FIELDS}
    values["difficulty"] = "Medium"
    return CardForm(values=values, mistakes=[{"text": "", "kind": "", "key_point": ""} for _ in range(MISTAKE_ROWS)])


def from_card(card: Card, new_id: str | None = None) -> CardForm:
    f = blank()
    f.values.update(id=new_id or card.id, title=card.title, category=card.category, difficulty=card.difficulty,
                    why_asked=card.why_asked, how_to_answer=card.how_to_answer, key_points="\n".join(card.key_points),
                    sample_answer=card.sample_answer, tags=", ".join(card.tags),
                    time_limit_s="" if card.time_limit_s is None else str(card.time_limit_s))
    for i, m in enumerate(card.common_mistakes[:MISTAKE_ROWS]):
        f.mistakes[i] = {"text": m.text, "kind": m.kind.value, "key_point": "" if m.key_point is None else str(m.key_point)}
    return f


def from_post(form) -> CardForm:
    """The values exactly as typed (never lost, whatever is wrong with them)."""
    f = blank()
    for k in TEXT_FIELDS:
        f.values[k] = str(form.get(k, "") or "")
    for i in range(MISTAKE_ROWS):
        f.mistakes[i] = {k: str(form.get(f"mistake_{k}_{i}", "") or "").strip() for k in ("text", "kind", "key_point")}
    return f


def card_data(f: CardForm, origin: dict | None = None) -> tuple[dict, list[int | None]]:
    """The card's fields from the form, and for each listed mistake its form
    row (to put its problems next to it). Problems the form itself finds
    (a key point number that is no number) are added to ``f``."""
    v = f.values
    data: dict = {k: v[k].strip() for k in ("id", "title", "category", "difficulty", "why_asked", "how_to_answer", "sample_answer")}
    data["key_points"] = [BULLET.sub("", line).strip() for line in v["key_points"].splitlines() if line.strip()]
    data["tags"] = [t.strip() for t in v["tags"].split(",") if t.strip()]
    limit = v["time_limit_s"].strip()
    if limit:
        data["time_limit_s"] = int(limit) if limit.isdigit() else limit  # pydantic words the problem with anything else
    mistakes, rows = [], []
    for i, m in enumerate(f.mistakes):
        if not m["text"]:
            if m["key_point"]:
                f.add(f"mistake_{i}", "write the mistake, or clear its key point number")
            continue
        kind = m["kind"] if m["kind"] in {k.value for k in MistakeKind} else ""
        item: dict = {"text": m["text"]}
        if m["key_point"]:
            if m["key_point"].isdigit():
                item["key_point"] = int(m["key_point"])
                kind = kind or "omission"  # a key point number makes it the absence of that key point
            else:  # said here; the mistake is still checked (and still counts) without it
                f.add(f"mistake_{i}", f"the key point must be a number (1 for the first key point), not {m['key_point']!r}")
        if kind:
            item["kind"] = kind
        mistakes.append(item if kind else m["text"])  # a bare string: the card schema infers its kind from its wording
        rows.append(i)
    data["common_mistakes"] = mistakes
    if origin:
        data["origin"] = origin
    return data, rows


def place(loc: str, rows: list[int | None]) -> tuple[str, str]:
    """(form field, prefix for the message) for a validation location."""
    parts = loc.split(".")
    head = parts[0]
    if head == "key_points" and len(parts) > 1 and parts[1].isdigit():
        return "key_points", f"key point {int(parts[1]) + 1}: "
    if head == "tags" and len(parts) > 1:
        return "tags", f"tag {int(parts[1]) + 1}: " if parts[1].isdigit() else ""
    if head == "common_mistakes" and len(parts) > 1 and parts[1].isdigit():
        i = int(parts[1])
        row = rows[i] if i < len(rows) else None
        what = {"text": "", "kind": "kind: ", "key_point": "key point: "}.get(parts[2] if len(parts) > 2 else "", "")
        return (f"mistake_{row}" if row is not None else "common_mistakes"), what
    if head in TEXT_FIELDS or head == "common_mistakes":
        return head, ""
    return "card", ""


def validate(f: CardForm, origin: dict | None = None) -> Card | None:
    """The card, or None with the problems added to ``f`` by field."""
    data, rows = card_data(f, origin)
    card, problems = check_card(data)
    for loc, message in problems:
        name, prefix = place(loc, rows)
        if name == "card" and "mistake" in message:
            name = "common_mistakes"  # "mistake ... refers to key point 3, but the card has 2"
        if name == "id" and "should match pattern" in message:  # the pattern itself says little to a reader
            message = "use lowercase letters, digits and dashes only (2 to 81 of them, not starting with a dash), e.g. sql-window-functions"
        f.add(name, prefix + message.removeprefix("Value error, "))
    return None if f.errors else card


def card_yaml(card: Card) -> str:
    data = card.model_dump(mode="json", exclude_none=True)
    data["common_mistakes"] = [{k: v for k, v in m.items() if v is not None} for m in data["common_mistakes"]]
    order = ["id", "title", "category", "difficulty", "tags", "why_asked", "how_to_answer", "key_points", "sample_answer",
             "common_mistakes", "time_limit_s", "origin"]
    return yaml.safe_dump({k: data[k] for k in order if k in data}, sort_keys=False, allow_unicode=True, width=88)


def save(card: Card, user_bank: Path, replacing: Path | None = None) -> Path:
    """Write the card to ``user_bank`` as <id>.yaml (another free name if a
    different file holds that name), replacing ``replacing`` (the card's
    previous file in the user's bank) if given; then read it back as the
    bank reads it. Written to a temporary file first: a failed save leaves
    the old card whole."""
    user_bank.mkdir(parents=True, exist_ok=True)
    path = replacing.with_name(f"{card.id}{replacing.suffix if replacing.suffix in ('.yaml', '.yml') else '.yaml'}") if replacing else user_bank / f"{card.id}.yaml"
    n = 2
    while path.exists() and (replacing is None or path.resolve() != replacing.resolve()):
        path = path.with_name(f"{card.id}-{n}.yaml")
        n += 1
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(card_yaml(card), encoding="utf-8")
    os.replace(tmp, path)
    if replacing is not None and replacing.resolve() != path.resolve():
        replacing.unlink(missing_ok=True)  # the id changed: the old file would clash with nothing but would linger
    parse_card(path)  # as 'voicecoach questions validate' reads it
    return path
