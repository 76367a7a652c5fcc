"""A multi-question spoken interview with a follow-up and a spoken "skip",
end to end over the virtual PulseAudio devices; the typed interview;
follow-up wording."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import VOICECOACH, espeak_wav, run_cli
from voicecoach.engines.audiofile import read_audio

Q1_PARTIAL = ("I would use cross entropy for classification, because it compares the predicted probabilities with the true labels. "
              "It is the standard loss for logistic regression and neural network classifiers. That's my answer.")
FOLLOW_UP = ("Cross entropy gives a large gradient when the model is confidently wrong, so training converges faster. "
             "Mean squared error assumes Gaussian noise. That's my answer.")
Q2 = ("L1 regularization drives some weights exactly to zero, so it selects features. L2 shrinks all weights smoothly "
      "and keeps them small but non zero. That's my answer.")
FALLBACK = "I have nothing more to add. That's my answer."


@pytest.mark.slow
@pytest.mark.pulse
def test_spoken_interview_with_follow_up(pulse, tmp_path, isolated_home, whisper):
    env = {**os.environ, **pulse, "VOICECOACH_HOME": str(isolated_home)}
    answers = [espeak_wav(t, tmp_path / f"a{i}.wav", voice="en", rate_wpm=160) for i, t in enumerate([Q1_PARTIAL, FOLLOW_UP, Q2])]
    fallback = espeak_wav(FALLBACK, tmp_path / "fallback.wav", voice="en")
    captured = tmp_path / "speaker.wav"
    rec = subprocess.Popen(["parecord", "--device=speaker.monitor", "--file-format=wav", "--rate=16000", "--channels=1", str(captured)], env=env)
    skip = espeak_wav("Skip this one, please.", tmp_path / "skip.wav", voice="en")
    proc = subprocess.Popen([VOICECOACH, "practice", "-q", "cross-entropy-vs-mse", "-q", "mla-bias-variance-tradeoff", "-q", "mla-l1-vs-l2",
                             "--json", "--end-silence", "3",
                             "--follow-ups", "1", "--persona", "neutral"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    log = []
    played = skips = 0
    deadline = time.time() + 420
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        log.append(line)
        if "Say or type" in line:  # between questions: skip the second card by voice
            time.sleep(0.4)
            subprocess.run(["paplay", "--device=micfeed", str(skip)], env=env, check=True, timeout=60)
            skips += 1
        if "Listening" in line:
            time.sleep(0.4)
            wav = answers[played] if played < len(answers) else fallback
            subprocess.run(["paplay", "--device=micfeed", str(wav)], env=env, check=True, timeout=120)
            played += 1
    out, err = proc.communicate(timeout=120)
    rec.terminate()
    rec.wait(timeout=10)
    assert proc.returncode == 0, "".join(log) + err
    results = [json.loads(x) for x in out.splitlines() if x.strip()]
    follow = [r for r in results if r["parent_id"]]
    assert follow, [r["prompt"] for r in results]
    assert follow[0]["prompt"] != follow[0]["card_title"] and follow[0]["prompt"].endswith("?")
    combined = [r for r in results if "follow-up answer" in r["judge"]["note"]]
    assert combined and "gradient" in combined[0]["transcript"]["text"].lower()
    # the session record holds every question, follow-up and answer
    db = sqlite3.connect(isolated_home / "voicecoach.db")
    rows = db.execute("SELECT card_id, prompt_text, parent_id, status FROM attempts ORDER BY rowid").fetchall()
    assert skips == 1 and any('Heard: "' in x and "skip" in x.lower() for x in log), "".join(log)
    assert [r[0] for r in rows if r[2] is None] == ["cross-entropy-vs-mse", "mla-l1-vs-l2"]  # the middle card was skipped by voice
    assert all(r[1] for r in rows) and all(r[3] == "scored" for r in rows)
    assert db.execute("SELECT ended_at FROM sessions").fetchone()[0]
    # what the interviewer said went to the speaker
    heard = whisper.transcribe(read_audio(captured)).text.lower()
    # the intro ("This interview has three questions ... Say "that's my answer" when you are done"):
    # tiny.en once heard its first words on espeak as "to new york's free questions"
    assert "question" in heard and ("interview" in heard or "that's my answer" in heard), heard
    assert "regulari" in heard or "l1" in heard.replace(" ", "")
    assert "say next" in heard or "repeat" in heard  # the spoken between-questions prompt


def test_typed_interview_runs_in_text_mode(isolated_home):
    answers = "Cross entropy compares predicted probabilities with the labels.\n\nIt keeps gradients large when wrong.\n\nL1 gives sparse weights.\n\nL2 shrinks weights.\n\n"
    proc = run_cli(["practice", "--type", "-q", "cross-entropy-vs-mse", "-q", "mla-l1-vs-l2", "--json", "--follow-ups", "1"],
                   input=answers, env={"PULSE_SERVER": "unix:/nonexistent"}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert {r["card_id"] for r in results} == {"cross-entropy-vs-mse", "mla-l1-vs-l2"}
    assert any(r["parent_id"] for r in results)
    assert all(r["answer_source"] == "text" for r in results)


def test_offline_follow_up_names_the_missed_topic(bank):
    import random

    from voicecoach.core.interview import offline_follow_up
    from voicecoach.models import AttemptResult, JudgeInfo, KeyPointResult, Scores, Transcript

    card = bank.get("cross-entropy-vs-mse")
    kps = [KeyPointResult(key_point=k, verdict="covered" if i != 2 else "missing") for i, k in enumerate(card.key_points)]
    r = AttemptResult(card_id=card.id, card_title=card.title, answer_source="text", transcript=Transcript(text="x"), delivery=None,
                      key_points=kps, mistakes=[], scores=Scores(structure=3, delivery=3, coverage=4, overall=70), fixes=[],
                      judge=JudgeInfo(kind="offline", model="m", prompt_version="v"))
    for persona in ("friendly", "neutral", "tough"):
        q, idx = offline_follow_up(r, card, persona, random.Random(0))
        assert idx == 2, persona
        assert "gradient" in q.lower() and "?" in q, q
