"""What the candidate said, as text: the closing phrase that ends an answer
("...that's my answer") and the joining of a follow-up answer to its main one."""

from __future__ import annotations

import re

from voicecoach.models import Transcript

CLOSING_PHRASES = re.compile(
    r"\b(my (final )?answer|end of (my )?answer|i'?m done|i am done|that'?s all|that is all|that'?s it( from me)?)(\.{1,3}|!|…)?\s*$",
    re.I,
)


def strip_closing_phrase(t: Transcript) -> Transcript:
    """Drop a closing phrase ("...that's my answer.") from the end, with the
    short clause it sits in."""
    m = CLOSING_PHRASES.search(t.text)
    if not m:
        return t
    head = t.text[: m.start()]
    cut = max(head.rfind("."), head.rfind("?"), head.rfind("!"), head.rfind(","))
    if cut >= 0 and len(head[cut + 1 :].split()) <= 4:
        head = head[: cut + 1]
    text = head.rstrip(" ,")
    n_drop = len(t.text.split()) - len(text.split())
    words = t.words[: len(t.words) - n_drop] if t.words and len(t.words) >= n_drop else t.words
    return t.model_copy(update={"text": text, "words": words})


def merge_transcripts(first: Transcript, second: Transcript) -> Transcript:
    """The main answer followed by the follow-up answer (times of the second
    shifted past the first)."""
    shift = (first.duration_s or (first.words[-1].end if first.words else 0.0)) + 1.0
    words = list(first.words) + [w.model_copy(update={"start": round(w.start + shift, 3), "end": round(w.end + shift, 3)}) for w in second.words]
    return first.model_copy(update={"text": f"{first.text} {second.text}".strip(), "words": words,
                                    "duration_s": round(shift + (second.duration_s or 0.0), 3)})
