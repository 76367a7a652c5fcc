"""The HTML and Markdown reports, from hand-built results; one test renders
the page in headless Chromium and checks the screenshot and the DOM."""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import struct
import subprocess
import wave
import zlib
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from voicecoach.models import (AttemptResult, Delivery, Filler, JudgeInfo, KeyPointResult, MistakeKind, MistakeResult, Pause, Scores,
                               Transcript, Word)
from voicecoach.render.html import render_html
from voicecoach.render.markdown import render_markdown

SPOKEN = ("So, um, cross entropy is the right loss for classification. It keeps the gradient large when the model is "
          "confidently wrong, you know, because the log blows up. [pause] MSE with a softmax saturates, so learning "
          "stalls. Uh, and cross entropy is the negative log likelihood of the labels.")


def _words(script: str, pace_s: float = 0.32, pause_s: float = 2.4) -> list[Word]:
    """Word timings for ``script``; ``[pause]`` inserts a long silence, commas a short one."""
    out, t = [], 1.2
    for tok in script.split():
        if tok == "[pause]":
            t += pause_s
            continue
        out.append(Word(word=" " + tok, start=round(t, 2), end=round(t + pace_s - 0.06, 2), probability=0.9))
        t += pace_s + (0.35 if tok.endswith((",", ".")) else 0.0)
    return out


def _delivery(words: list[Word], duration_s: float) -> Delivery:
    """Delivery figures worked out by hand: fillers by word, pauses over 1 s."""
    toks = [re.sub(r"[^a-z]", "", w.word.lower()) for w in words]
    fillers = [Filler(word=t, start=w.start) for t, w in zip(toks, words) if t in ("so", "um", "uh") and w.word.endswith(",")]
    fillers += [Filler(word="you know", start=w.start) for i, w in enumerate(words[:-1]) if toks[i : i + 2] == ["you", "know"]]
    fillers.sort(key=lambda f: f.start)
    pauses = [Pause(start=a.end, duration_s=round(b.start - a.end, 2), before_word=b.word.strip()) for a, b in zip(words, words[1:]) if b.start - a.end > 1]
    minutes = (words[-1].end - words[0].start) / 60
    return Delivery(duration_s=duration_s, word_count=len(words), words_per_minute=round(len(words) / minutes, 1), filler_count=len(fillers),
                    fillers=fillers, fillers_per_minute=round(len(fillers) / minutes, 2), pause_count=len(pauses), pauses=pauses,
                    longest_pause_s=max((p.duration_s for p in pauses), default=0.0), time_to_first_word_s=words[0].start,
                    hedge_count=0, hedges=[])


def _wav(seconds: float = 1.0, sr: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / sr))) for i in range(int(seconds * sr))))
    return buf.getvalue()


def _judge(note: str = "") -> JudgeInfo:
    return JudgeInfo(kind="offline", model="all-MiniLM-L6-v2", prompt_version="rubric-v3", note=note)


def spoken_result(text: str = SPOKEN, attempt_id: str = "att-spoken-1") -> AttemptResult:
    words = _words(text)
    transcript = Transcript(text=" ".join(w.word.strip() for w in words), words=words, engine="faster-whisper", model="tiny.en")
    delivery = _delivery(words, duration_s=words[-1].end + 1.5)
    return AttemptResult(
        attempt_id=attempt_id, card_id="cross-entropy-vs-mse", card_title="Why cross entropy rather than MSE for classification?",
        created_at="2025-03-14T09:30:00+00:00", answer_source="microphone", audio_path="/tmp/a.wav", stop_reason="silence",
        transcript=transcript, delivery=delivery,
        key_points=[
            KeyPointResult(key_point="Cross entropy keeps gradients large for confident wrong predictions", verdict="covered",
                           evidence="keeps the gradient large when the model is confidently wrong", evidence_start_s=4.9, similarity=0.81),
            KeyPointResult(key_point="MSE with softmax saturates and slows learning", verdict="partial",
                           evidence="MSE with a softmax saturates", evidence_start_s=14.0, note="no mention of why it saturates"),
            KeyPointResult(key_point="Cross entropy is the maximum-likelihood loss for a categorical model", verdict="covered",
                           evidence="negative log likelihood of the labels", evidence_start_s=19.0),
            KeyPointResult(key_point="Probabilities are calibrated under cross entropy", verdict="missing"),
        ],
        mistakes=[
            MistakeResult(mistake="Saying MSE cannot be used for classification at all", kind=MistakeKind.claim, verdict="not_made"),
            MistakeResult(mistake="Not mentioning the gradient behaviour", kind=MistakeKind.omission, verdict="not_made"),
        ],
        scores=Scores(structure=3, delivery=4, coverage=4, overall=72),
        fixes=["Say why softmax plus MSE saturates: the gradient is scaled by p(1-p).", "Open with the answer, not with 'so, um'."],
        structure_notes=["Answer first, then the reason: good."],
        improved_answer="Cross entropy is the maximum-likelihood loss for a categorical model, and it keeps the gradient large when the model is confidently wrong.",
        judge=_judge(),
    )


def typed_result(text: str = "Cross entropy is the negative log likelihood; MSE saturates with softmax.") -> AttemptResult:
    return AttemptResult(
        attempt_id="att-typed-1", card_id="cross-entropy-vs-mse", card_title="Why cross entropy rather than MSE for classification?",
        created_at="2025-03-15T10:00:00+00:00", answer_source="text", transcript=Transcript(text=text), delivery=None,
        key_points=[KeyPointResult(key_point="Cross entropy is the maximum-likelihood loss", verdict="covered", evidence="negative log likelihood"),
                    KeyPointResult(key_point="Gradients stay large when wrong", verdict="missing")],
        mistakes=[MistakeResult(mistake="Claims MSE is always wrong", kind=MistakeKind.claim, verdict="unsure", note="ambiguous wording")],
        scores=Scores(structure=2, delivery=1, coverage=2, overall=38), fixes=["Explain the gradient."],
        judge=_judge(note="the LLM judge was unreachable; the offline judge scored this answer"),
    )


HISTORY = [
    {"created_at": "2025-03-01T09:00:00+00:00", "overall": 41, "coverage": 2, "words_per_minute": 182.0, "filler_count": 9},
    {"created_at": "2025-03-05T09:00:00+00:00", "overall": 55, "coverage": 3, "words_per_minute": 171.5, "filler_count": 6},
    {"created_at": "2025-03-10T09:00:00+00:00", "overall": 38, "coverage": 2, "words_per_minute": None, "filler_count": None},
    {"created_at": "2025-03-14T09:30:00+00:00", "overall": 72, "coverage": 4, "words_per_minute": 148.0, "filler_count": 3},
]


# ------------------------------------------------------------------- structure


def test_spoken_attempt_has_audio_word_spans_and_marks():
    r = spoken_result()
    page = render_html([r], audio={r.attempt_id: _wav()})
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r'<audio controls[^>]*src="data:audio/wav;base64,UklGR', page)  # "RIFF"
    spans = re.findall(r'<span class="w[^"]*" data-start="([0-9.]+)"', page)
    assert len(spans) == len(r.transcript.words)
    assert float(spans[0]) == r.transcript.words[0].start
    assert page.count('class="w filler"') >= r.delivery.filler_count >= 3  # so, um, you know, uh
    assert r.delivery.pause_count == 1 and page.count('class="pause"') >= 1
    assert '<mark class="ev covered"' in page and '<mark class="ev partial"' in page
    assert re.search(r'<mark class="ev covered"[^>]*>.*?>keeps</span>.*?>wrong,</span></mark>', page)
    assert "<svg" in page and 'data-start=' in page.split("<svg", 1)[1]  # pace chart, bars seek
    assert "all-MiniLM-L6-v2" in page and "rubric-v3" in page
    assert "https://" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # offline


def test_typed_answer_renders_without_words_delivery_or_audio():
    r = typed_result()
    page = render_html([r])
    assert "<audio" not in page and 'class="w"' not in page and 'data-start="' not in page
    assert '<mark class="ev covered"' in page and "negative log likelihood</mark>" in page
    assert "the LLM judge was unreachable" in page
    md = render_markdown([r])
    assert "> Cross entropy is the negative log likelihood" in md and "Delivery\n" not in md


def test_everything_from_transcript_cards_and_judge_is_escaped():
    evil = "<script>alert(1)</script>"
    typed = typed_result(text=f"My answer {evil} & more")
    spoken = spoken_result(text=f"Hello {evil} there.", attempt_id="att-evil")
    spoken = spoken.model_copy(update={"card_title": f"Title {evil}", "fixes": [evil], "improved_answer": evil,
                                       "judge": _judge(note=evil)})
    page = render_html([typed, spoken], audio={"att-evil": _wav(0.2)}, history=[{"created_at": evil, "overall": 50}], title=evil)
    assert "<script>alert" not in page
    assert page.count("<script>") == 1  # only the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "My answer &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_session_with_history_has_summary_and_progress_chart():
    a, b = spoken_result(), typed_result()
    page = render_html([a, b], audio={a.attempt_id: _wav()}, history=HISTORY)
    assert "Session summary" in page and 'href="#attempt-2"' in page
    assert page.count("<audio") == 1  # the typed answer has none
    progress = page.split("<h2>Progress</h2>", 1)[1].split("</section>", 1)[0]
    assert progress.count("<polyline") == 2 and progress.count("<circle") >= 7
    assert render_html([]).count("No attempts") == 1


def test_pace_chart_uses_the_delivery_stages_windows_when_present():
    import voicecoach.models as models

    if not hasattr(models, "PaceWindow"):
        pytest.skip("the delivery record has no pace windows yet (issue 5)")
    r = spoken_result()
    d = r.delivery.model_copy(update={"pace_windows": [models.PaceWindow(start=0, wpm=91), models.PaceWindow(start=10, wpm=152),
                                                       models.PaceWindow(start=20, wpm=64)],
                                      "pace_trend": "slowed down at the end", "articulation_wpm": 171.0})
    page = render_html([r.model_copy(update={"delivery": d})])
    chart = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "91 wpm" in chart and "152 wpm" in chart and "64 wpm" in chart
    assert "slowed down at the end" in page and "171 words per minute between pauses" in page


def test_markdown_has_quote_and_tables():
    a, b = spoken_result(), typed_result()
    md = render_markdown([a, b])
    assert md.startswith("# Interview session")
    assert "| Verdict | Key point | Evidence | Time |" in md and "|---|---|---|---|" in md
    assert '| ✔ covered | Cross entropy keeps gradients large for confident wrong predictions | "keeps the gradient large' in md
    assert "| ✘ missing | Probabilities are calibrated under cross entropy |  |  |" in md
    assert "> So, um, cross entropy" in md
    assert "- Pace:" in md and "1. Say why softmax" in md
    assert "judge: offline" in md and "<audio" not in md
    pipe = typed_result().model_copy(update={"key_points": [KeyPointResult(key_point="a | b key point", verdict="covered", evidence="x|y")]})
    assert "a \\| b key point" in render_markdown([pipe])


# ---------------------------------------------------------------- in a browser


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        (pytest.fail if IN_CI else pytest.skip)("chromium is not installed (install.sh --dev installs it)")
    return exe


def _png_pixels(path: Path) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw scanlines) of an 8-bit RGB/RGBA PNG, unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, b"".join(rows)


def test_page_renders_in_headless_chromium(tmp_path):
    exe = _chromium()
    r, t = spoken_result(), typed_result()
    html_path = tmp_path / "report.html"
    html_path.write_text(render_html([r, t], audio={r.attempt_id: _wav()}, history=HISTORY), encoding="utf-8")
    png = tmp_path / "report.png"
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1200,2000"]
    env = dict(os.environ, HOME=str(tmp_path))

    def run(*extra: str, profile: str) -> subprocess.CompletedProcess:
        return subprocess.run([*flags, f"--user-data-dir={tmp_path / profile}", *extra, html_path.as_uri()],
                              capture_output=True, text=True, timeout=120, env=env)

    shot = run(f"--screenshot={png}", profile="profile-shot")
    assert png.exists(), shot.stderr[-2000:]
    width, height, channels, pixels = _png_pixels(png)
    assert (width, height) == (1200, 2000)
    step = channels * 7  # sample every 7th pixel
    samples = [pixels[i : i + 3] for i in range(0, len(pixels) - 2, step)]
    inked = sum(1 for p in samples if min(p) < 200)
    assert inked / len(samples) > 0.02, f"screenshot looks blank: {inked} of {len(samples)} sampled pixels are dark"
    assert len(set(samples)) > 50  # text, colours and charts, not a flat fill

    dom = run("--dump-dom", profile="profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<audio" in dom.stdout and "data:audio/wav;base64," in dom.stdout
    assert "confidently" in dom.stdout and "negative log likelihood" in dom.stdout
    assert 'data-start="1.20"' in dom.stdout
    keep = os.environ.get("VOICECOACH_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(png, keep)
