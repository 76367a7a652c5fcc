"""Saved sessions: history, compare, review, rescore of an interrupted
recording, replay over the virtual audio device, export and delete."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from tests.conftest import VOICECOACH, espeak_wav, run_cli
from tests.fakes import make_coach
from voicecoach.store import history as h
from voicecoach.engines.audiofile import read_audio, write_wav
from voicecoach.core.coach import AnswerInput

STRONG = ("Cross entropy is for classification because it compares predicted probabilities with the true labels. "
          "MSE assumes Gaussian errors which do not fit categorical labels. Cross entropy keeps gradients large when "
          "a confident prediction is wrong so training converges faster. It is the standard loss for logistic regression "
          "and neural network classifiers.")
WEAK = "Cross entropy is used for classification problems, I think."


@pytest.fixture
def populated(tmp_path, isolated_home, bank):
    """Three typed attempts at two cards, scored by the offline judge (with a
    bag-of-words embedder, so no model is loaded)."""
    coach, _, _ = make_coach(tmp_path, speak=False)  # its home is tmp_path/home, the isolated VOICECOACH_HOME
    assert coach.settings.home == isolated_home
    sid = coach.store.new_session("practice")
    ce = bank.get("cross-entropy-vs-mse")
    first = coach.attempt(ce, AnswerInput(text=WEAK), sid)
    second = coach.attempt(ce, AnswerInput(text=STRONG), sid)
    other = coach.attempt(bank.get("mla-l1-vs-l2"), AnswerInput(text="Regularization adds a penalty."), sid)
    return coach, sid, first, second, other


def test_history_lists_attempts_and_trends(populated):
    coach, sid, first, second, other = populated
    proc = run_cli(["history", "--json"])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {a["attempt_id"] for a in data["attempts"]} == {first.attempt_id, second.attempt_id, other.attempt_id}
    assert data["categories"]["Machine Learning"]["attempts"] == 3
    proc = run_cli(["history", "--card", "cross-entropy-vs-mse", "--json"])
    data = json.loads(proc.stdout)
    assert len(data["attempts"]) == 2 and len(data["key_points"]) == len(first.key_points)
    proc = run_cli(["history"], env={"COLUMNS": "200"})
    assert "cross-entropy-vs-mse" in proc.stdout and "By category" in proc.stdout


def test_compare_shows_gained_points(populated):
    coach, sid, first, second, other = populated
    proc = run_cli(["compare", first.attempt_id, second.attempt_id, "--json"])
    assert proc.returncode == 0, proc.stderr
    c = json.loads(proc.stdout)
    assert c["gained"] and not c["lost"]
    assert c["scores"]["overall"] == second.scores.overall - first.scores.overall > 0
    proc = run_cli(["compare", "--card", "cross-entropy-vs-mse"])
    assert "gained" in proc.stdout


def test_review_queue_prefers_missed_and_stale(populated):
    coach, *_ = populated
    later = datetime.now(timezone.utc) + timedelta(days=10)
    queue = h.review_queue(coach.store, n=5, now=later)
    ids = [c.id for c, _, _ in queue]
    assert ids[0] == "mla-l1-vs-l2"  # everything missed there
    proc = run_cli(["review", "--list"])
    assert proc.returncode == 0 and "mla-l1-vs-l2" in proc.stdout


def test_review_runs_as_an_interview(populated):
    """review is an interview too: the weakest cards, follow-ups on missed
    points, a closing; typed here (the spoken flow is the practice one)."""
    answers = "Regularization adds a penalty to the loss.\n\nL1 makes weights sparse.\n\n" * 6
    proc = run_cli(["review", "--type", "-n", "2", "--json", "--follow-ups", "1"], input=answers, env={"PULSE_SERVER": "unix:/nonexistent"}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    mains = [r for r in results if not r["parent_id"]]
    assert mains[0]["card_id"] == "mla-l1-vs-l2"  # the weakest card first
    assert any(r["parent_id"] for r in results)  # a follow-up was asked
    assert "concludes the interview" in proc.stderr or "concludes the interview" in proc.stdout
    rows = populated[0].store.sessions()
    assert rows[0]["mode"] == "review" and rows[0]["ended_at"]


def test_report_markdown_and_html(populated, tmp_path):
    coach, sid, first, second, other = populated
    out = tmp_path / "r.md"
    proc = run_cli(["report", second.attempt_id, "--format", "md", "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert "Cross" in out.read_text()
    proc = run_cli(["report", sid])
    assert proc.returncode == 0, proc.stderr
    assert open(proc.stdout.strip()).read().lstrip().lower().startswith("<!doctype html")


def test_export_and_delete_leave_no_orphans(populated, isolated_home):
    coach, sid, first, second, other = populated
    proc = run_cli(["export"])
    data = json.loads(proc.stdout)
    assert len(data["sessions"]) == 1 and len(data["sessions"][0]["attempts"]) == 3
    assert data["sessions"][0]["attempts"][0]["results"][0]["card_id"]
    proc = run_cli(["delete", first.attempt_id])
    assert proc.returncode == 2 and "--yes" in proc.stderr  # no terminal: needs --yes
    assert run_cli(["delete", first.attempt_id, "--yes"]).returncode == 0
    assert len(json.loads(run_cli(["export"]).stdout)["sessions"][0]["attempts"]) == 2
    assert run_cli(["delete", "--all", "--yes"]).returncode == 0
    assert json.loads(run_cli(["export"]).stdout)["sessions"] == []
    import sqlite3

    db = sqlite3.connect(isolated_home / "voicecoach.db")
    assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
    assert list((isolated_home / "audio").iterdir()) == []


@pytest.mark.slow
def test_interrupted_recording_is_kept_and_rescorable(tmp_path, isolated_home, bank):
    from voicecoach.config import load_settings
    from voicecoach.store.db import Store

    settings = load_settings(home=isolated_home)
    store = Store(settings.db_path, settings.audio_dir)
    sid = store.new_session("practice")
    aid, audio_path = store.new_attempt(sid, bank.get("cross-entropy-vs-mse"), "microphone")
    speech = read_audio(espeak_wav(STRONG, tmp_path / "a.wav", voice="en"))
    write_wav(audio_path, speech[: len(speech) * 2 // 3])  # cut off mid-answer
    store.mark(aid, "incomplete", len(speech) * 2 / 3 / 16000)
    store.close()
    proc = run_cli(["rescore", aid, "--json"])
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["attempt_id"] == aid and "cross" in r["transcript"]["text"].lower()
    assert r["delivery"]["duration_s"] > 5
    # rescoring again keeps both results
    assert run_cli(["rescore", aid, "--json"]).returncode == 0
    store = Store(settings.db_path, settings.audio_dir)
    assert len(store.results(aid)) == 2 and store.attempt(aid)["status"] == "scored"


@pytest.mark.slow
@pytest.mark.pulse
def test_replay_plays_the_saved_audio(pulse, tmp_path, isolated_home, bank):
    from voicecoach.config import load_settings
    from voicecoach.store.db import Store

    coach, _, _ = make_coach(tmp_path, text="I would use cross entropy for classification.", speak=False)
    store = coach.store
    answer = espeak_wav("I would use cross entropy for classification.", tmp_path / "a.wav", voice="en", lead_s=0.5, tail_s=0.5)
    result = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(file=answer), store.new_session("practice"))
    captured = tmp_path / "captured.wav"
    import os

    env = {**os.environ, **pulse, "VOICECOACH_HOME": str(isolated_home), "VOICECOACH_SPEAK": "0"}
    rec = subprocess.Popen(["parecord", "--device=speaker.monitor", "--file-format=wav", "--rate=16000", "--channels=1", str(captured)], env=env)
    time.sleep(0.5)
    proc = subprocess.run([VOICECOACH, "replay", result.attempt_id], env=env, capture_output=True, text=True, timeout=120)
    time.sleep(2.0)  # let parecord write out its buffer
    rec.terminate()
    rec.wait(timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert "cross entropy" in proc.stdout.lower()
    got = read_audio(captured)
    ref = read_audio(answer)
    # the saved answer is in what the speaker played: find it by correlation
    from scipy.signal import correlate

    padded = np.concatenate([np.zeros(len(ref), np.float32), got, np.zeros(len(ref), np.float32)])
    lag = int(np.argmax(correlate(padded, ref, mode="valid", method="fft")))
    seg = padded[lag : lag + len(ref)]
    assert np.count_nonzero(np.abs(seg) > 0.01) > 0.3 * np.count_nonzero(np.abs(ref) > 0.01)  # most of it was played
    corr = float(np.dot(seg, ref) / (np.linalg.norm(seg) * np.linalg.norm(ref) + 1e-9))
    assert corr > 0.9, corr
