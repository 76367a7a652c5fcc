"""Turn a question page (title, category/difficulty, "Why Interviewers Ask This",
"How to Answer This Question", "Key Points to Cover", "Sample Answer",
"Common Mistakes to Avoid") into a card, reporting what it could not find."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voicecoach.judge.text import content_stems
from voicecoach.models import Mistake, MistakeKind

SECTIONS = {
    "why_asked": re.compile(r"^why (do )?interviewers ask (this|it)\b", re.I),
    "how_to_answer": re.compile(r"^how to answer( this question)?\b", re.I),
    "key_points": re.compile(r"^key points( to cover)?\b", re.I),
    "sample_answer": re.compile(r"^(sample|example|model) answer\b", re.I),
    "common_mistakes": re.compile(r"^common mistakes( to avoid)?\b", re.I),
}
# Page furniture after the card's content.
END = re.compile(r"^(practice this question|related interview questions|start practicing|browse all)\b", re.I)
DIFFICULTY = re.compile(r"\b(easy|medium|hard)\b", re.I)
BULLET = re.compile(r"^\s*([•*\-–·]|\d+[.)])\s+")


@dataclass
class Imported:
    data: dict
    missing: list[str] = field(default_factory=list)


def _clean(line: str) -> str:
    return re.sub(r"^#+\s*", "", line.strip()).strip("*_ ").strip()


def slug(title: str, words: int = 7) -> str:
    toks = re.findall(r"[a-z0-9]+", title.lower())
    stop = {"what", "is", "the", "a", "an", "of", "you", "do", "does", "how", "would", "should", "when", "why", "your", "to", "in", "and", "for", "use", "can"}
    keep = [t for t in toks if t not in stop] or toks
    return "-".join(keep[:words])[:60].strip("-") or "imported-question"


def parse_page(text: str) -> Imported:
    lines = [_clean(x) for x in text.splitlines()]
    raw = text.splitlines()
    heads: dict[str, int] = {}
    end = len(lines)
    for i, line in enumerate(lines):
        for name, rx in SECTIONS.items():
            if name not in heads and rx.match(line):
                heads[name] = i
        if END.match(line) and i > max(heads.values(), default=0):
            end = min(end, i)
    first_head = min(heads.values(), default=end)
    header = [x for x in lines[:first_head] if x]
    data: dict = {}
    missing: list[str] = []
    if header:
        data["title"] = header[0]
    else:
        missing.append("title")
    # Category and difficulty: the lines under the title ("Machine Learning",
    # "Medium", or "Machine Learning · Medium"); view counts and blurbs ignored.
    for i, line in enumerate(header[1:5], 1):
        m = DIFFICULTY.search(line)
        if m and len(line.split()) <= 6:
            data["difficulty"] = m.group(1).capitalize()
            before = re.sub(r"[·|,\-–]\s*$", "", line[: m.start()]).strip()
            data["category"] = before if before else (header[i - 1] if i > 1 else "")
            break
    if not data.get("category"):
        missing.append("category")
        data.pop("category", None)
    if "difficulty" not in data:
        missing.append("difficulty")
    order = sorted(heads.items(), key=lambda kv: kv[1])
    for n, (name, start) in enumerate(order):
        stop = order[n + 1][1] if n + 1 < len(order) else end
        body = raw[start + 1 : stop]
        if name in ("key_points", "common_mistakes"):
            items = [BULLET.sub("", b).strip() for b in body if b.strip()]
            data[name] = [_clean(x) for x in items if x]
        else:
            paras = " ".join(_clean(b) for b in body if b.strip())
            data[name] = re.sub(r"\s+", " ", paras).strip()
    for name in SECTIONS:
        if not data.get(name):
            missing.append(name)
            data.pop(name, None)
    if "common_mistakes" in data:
        data["common_mistakes"] = [_mistake(m, data.get("key_points", [])) for m in data["common_mistakes"]]
    if "title" in data:
        data = {"id": slug(data["title"]), **data}
    return Imported(data=data, missing=missing)


def _mistake(text: str, key_points: list[str]) -> dict:
    """A bullet becomes a typed mistake; an omission is tied to the key point
    it shares most content words with."""
    m = Mistake.model_validate(text)
    out = {"text": m.text, "kind": m.kind.value}
    if m.kind == MistakeKind.omission and key_points:
        mine = content_stems(text)
        overlaps = [len(mine & content_stems(kp)) for kp in key_points]
        best = max(range(len(key_points)), key=lambda i: overlaps[i])
        if overlaps[best] > 0:
            out["key_point"] = best + 1
    return out


def write_card(imported: Imported, out_dir: Path) -> Path:
    """Write the card as YAML. An incomplete card is written as ``<id>.draft``
    (not loaded by the bank) so it can be finished by hand."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cid = imported.data.get("id", "imported-question")
    path = out_dir / (f"{cid}.yaml" if not imported.missing else f"{cid}.draft")
    n = 2
    while path.exists():
        path = out_dir / (f"{cid}-{n}.yaml" if not imported.missing else f"{cid}-{n}.draft")
        n += 1
    text = yaml.safe_dump(imported.data, sort_keys=False, allow_unicode=True, width=88)
    path.write_text(text, encoding="utf-8")
    return path
