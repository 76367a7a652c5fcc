"""What a job description (and résumé) ask for: the role and company, the
seniority, the kind of job, and the skills of the lexicon they mention, each
with the phrase it was found in. Deterministic, offline."""

from __future__ import annotations

import re
from collections import Counter

from voicecoach.plan.lexicon import FAMILIES, SENIORITY, SKILLS
from voicecoach.plan.models import JobProfile, SkillHit

_TITLE_FIELD = re.compile(r"^\W*(job title|title|role|position)\s*[:\-–]\s*(.+)$", re.I)
_COMPANY_FIELD = re.compile(r"^\W*(company|employer|organi[sz]ation)\s*[:\-–]\s*(.+)$", re.I)
_ABOUT = re.compile(r"^#*\s*about\s+(?!the\b|us\b|you\b|this\b|our\b|the role|working)([A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3})\s*$")
_HIRING = re.compile(r"\b([A-Z][\w&.'-]+(?: [A-Z][\w&.'-]+){0,2}) (?:is hiring|is looking for|is seeking)\b")
_JOIN = re.compile(r"\bjoin ([A-Z][\w&.'-]+(?: [A-Z][\w&.'-]+){0,2})\b")
_YEARS = re.compile(r"(\d{1,2})\s*\+?\s*(?:or more\s+)?years", re.I)
_SPLIT_COMPANY = re.compile(r"\s+(?:at|@)\s+|\s+[—–|]\s+|\s+-\s+")
_BOILER = re.compile(r"^(we'?re hiring|now hiring|hiring|job( description)?|job posting|vacancy)\s*[:\-–]\s*", re.I)
_NOT_COMPANY = {"We", "You", "Our", "The", "This", "Us"}


def _clean(line: str) -> str:
    line = re.sub(r"^[#>*\-•\s]+", "", line).strip().strip("*_").strip()
    return _BOILER.sub("", line).strip()


def role_and_company(job: str) -> tuple[str, str]:
    lines = [ln for ln in job.splitlines() if ln.strip()]
    role = company = ""
    for ln in lines[:40]:
        m = _TITLE_FIELD.match(_clean(ln))
        if m and not role:
            role = m.group(2).strip()
        m = _COMPANY_FIELD.match(_clean(ln))
        if m and not company:
            company = m.group(2).strip()
    if not role and lines:
        headings = [ln for ln in lines[:10] if ln.lstrip().startswith("#")]
        first = _clean((headings or lines)[0])
        role = first if len(first.split()) <= 12 else " ".join(first.split()[:8])
    parts = _SPLIT_COMPANY.split(role, maxsplit=1)
    if len(parts) == 2 and parts[1].strip():
        role, company = parts[0].strip(), company or parts[1].strip()
    if not company:
        for ln in lines[:60]:
            m = _ABOUT.match(ln.strip().strip("*"))
            if m:
                company = m.group(1)
                break
    if not company:
        m = _HIRING.search(job) or _JOIN.search(job)
        if m and m.group(1).split()[0] not in _NOT_COMPANY:
            company = m.group(1)
    return role.strip(" .:*#") or "the advertised", company.strip(" .:*#")


def seniority_of(role: str, job: str) -> tuple[str, int | None]:
    years = [int(y) for y in _YEARS.findall(job) if 0 < int(y) < 40]
    wanted = min(years) if years else None
    for level, rx in SENIORITY:
        if rx.search(role):
            return level, wanted
    if wanted is not None:
        return ("senior" if wanted >= 5 else "mid" if wanted >= 2 else "junior"), wanted
    for level, rx in SENIORITY:
        if level != "manager" and rx.search(job[:3000]):
            return level, wanted
    return "mid", wanted


_SEGMENT_END = re.compile(r"\n|[.;!?](?=\s)")


def phrase_around(text: str, start: int, end: int, width: int = 80) -> str:
    """The line (or sentence) holding a match, trimmed to about ``width``
    characters around it at word boundaries."""
    a = 0
    for m in _SEGMENT_END.finditer(text, max(0, start - 2000), start):
        a = m.end()
    m = _SEGMENT_END.search(text, end)
    seg = text[a : m.start() if m else len(text)]
    s, e = start - a, end - a
    lead = len(seg) - len(seg.lstrip(" \t-*•#>"))
    seg, s, e = seg[lead:], s - lead, e - lead
    if len(seg) > width:
        lo = max(0, min(s - (width - (e - s)) // 3, len(seg) - width))
        hi = min(len(seg), lo + width)
        lo = seg.rfind(" ", 0, lo) + 1 if lo > 0 else 0
        cut = seg.find(" ", hi)
        hi = cut if cut != -1 else len(seg)
        seg = ("…" if lo > 0 else "") + seg[lo:hi].strip() + ("…" if hi < len(seg) else "")
    return re.sub(r"\s+", " ", seg).strip(" *_`").rstrip(":,")


def best_match(text: str, matches: list[re.Match]) -> re.Match:
    """The match whose line names the skill most often ("a cloud warehouse
    (Snowflake, BigQuery or Redshift)" over a passing "Snowflake"); the
    earliest of those."""
    def line_of(m: re.Match) -> int:
        return text.count("\n", 0, m.start())

    per_line: dict[int, int] = {}
    for m in matches:
        per_line[line_of(m)] = per_line.get(line_of(m), 0) + 1
    return max(matches, key=lambda m: (per_line[line_of(m)], -m.start()))


def skills_in(job: str, resume: str = "") -> list[SkillHit]:
    hits: list[SkillHit] = []
    for skill in SKILLS:
        in_job = list(skill.doc.finditer(job))
        in_cv = skill.doc.search(resume) if resume else None
        if in_job:
            m = best_match(job, in_job)
            hits.append(SkillHit(skill=skill.name, categories=list(skill.categories), phrase=phrase_around(job, m.start(), m.end()),
                                 source="job", count=len(in_job), in_resume=in_cv is not None))
        elif in_cv is not None:
            hits.append(SkillHit(skill=skill.name, categories=list(skill.categories),
                                 phrase=phrase_around(resume, in_cv.start(), in_cv.end()), source="resume"))
    return hits


def family_of(role: str, skills: list[SkillHit]) -> str:
    for family, rx in FAMILIES:
        if rx.search(role):
            return family
    return "general"


def profile(job: str, resume: str = "", role: str | None = None, company: str | None = None) -> JobProfile:
    """The profile of a job description; ``role``/``company`` override what is found."""
    found_role, found_company = role_and_company(job)
    role = role or found_role
    level, years = seniority_of(role, job)
    skills = skills_in(job, resume)
    return JobProfile(role=role, company=company if company is not None else found_company, seniority=level,
                      family=family_of(role, skills), years=years, skills=skills)


def category_weights(skills: list[SkillHit]) -> Counter:
    """The categories the job description's skills call for (résumé-only
    skills do not change the mix)."""
    out: Counter = Counter()
    for s in skills:
        if s.source != "job":
            continue
        for c in s.categories:
            out[c] += s.weight / len(s.categories)
    return out
