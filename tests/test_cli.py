"""The command line as a user runs it: the --json contract, answers from text
and files, and clean errors (no tracebacks)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import NO_AUDIO_ENV, espeak_wav, run_cli

CONTRACT_TOP = {"card_id", "transcript", "delivery", "key_points", "mistakes", "scores", "judge"}
ANSWER = ("Cross entropy is for classification because it compares predicted probabilities with the true labels, "
          "while MSE assumes Gaussian noise. Cross entropy keeps gradients large when the model is confidently wrong.")


def check_contract(d: dict, audio: bool) -> None:
    assert CONTRACT_TOP <= d.keys()
    assert isinstance(d["transcript"]["text"], str)
    for w in d["transcript"]["words"]:
        assert {"word", "start", "end"} <= w.keys()
    if audio:
        assert d["transcript"]["words"]
        assert {"duration_s", "words_per_minute", "filler_count", "fillers", "pause_count", "longest_pause_s"} <= d["delivery"].keys()
    else:
        assert d["delivery"] is None
    for k in d["key_points"]:
        assert k["verdict"] in ("covered", "partial", "missing") and "key_point" in k and "evidence" in k
    for m in d["mistakes"]:
        assert m["verdict"] in ("made", "not_made", "unsure") and "mistake" in m and "evidence" in m
    s = d["scores"]
    assert all(1 <= s[k] <= 5 for k in ("structure", "coverage")) and 0 <= s["overall"] <= 100
    # delivery is scored only when it was measured (spoken answers)
    assert (s["delivery"] is None) == (d["delivery"] is None) and (s["delivery"] is None or 1 <= s["delivery"] <= 5)
    assert d["judge"]["kind"] in ("llm", "offline") and d["judge"]["model"] and d["judge"]["prompt_version"]


def test_help_is_fast_and_lists_commands():
    proc = run_cli(["--help"])
    assert proc.returncode == 0
    for cmd in ("practice", "score", "questions", "doctor"):
        assert cmd in proc.stdout


@pytest.mark.slow
def test_score_text_json_contract():
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--text", ANSWER, "--json"], env=NO_AUDIO_ENV)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)  # stdout holds only the JSON object
    check_contract(d, audio=False)
    assert d["card_id"] == "cross-entropy-vs-mse" and d["judge"]["kind"] == "offline"
    assert sum(k["verdict"] == "covered" for k in d["key_points"]) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_score_answer_file_json_contract(tmp_path, fmt):
    wav = espeak_wav(ANSWER, tmp_path / "a.wav", voice="en", rate_wpm=160, lead_s=0.5)
    path = wav
    if fmt != "wav":
        data, sr = sf.read(str(wav))
        path = tmp_path / f"a.{fmt}"
        sf.write(str(path), data, sr, format=fmt.upper())
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--answer-file", str(path), "--json"], env=NO_AUDIO_ENV)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    check_contract(d, audio=True)
    assert d["delivery"]["duration_s"] > 5
    assert d["audio_path"].endswith(".wav")


def test_practice_without_devices_fails_fast_with_advice():
    proc = run_cli(["practice", "--question", "cross-entropy-vs-mse"], env=NO_AUDIO_ENV, timeout=60)
    assert proc.returncode == 4
    assert "no microphone" in proc.stderr
    assert "--answer-file" in proc.stderr and "--text" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_corrupt_answer_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "answer.wav"
    bad.write_bytes(b"RIFF....WAVEjunkjunkjunk" * 10)
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--answer-file", str(bad)], env=NO_AUDIO_ENV)
    assert proc.returncode == 5
    assert "not a readable audio file" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_answer_file_and_unknown_card(tmp_path):
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--answer-file", str(tmp_path / "nope.wav")])
    assert proc.returncode == 5 and "not found" in proc.stderr
    proc = run_cli(["score", "--card", "no-such-card", "--text", "hello"])
    assert proc.returncode == 3 and "no question with id" in proc.stderr


def test_score_needs_exactly_one_answer():
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse"])
    assert proc.returncode == 2 and "exactly one" in proc.stderr


@pytest.mark.slow
def test_silent_answer_file_says_no_speech(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(16000 * 5, np.float32), 16000)
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--answer-file", str(path)], env=NO_AUDIO_ENV)
    assert proc.returncode == 6 and "no speech" in proc.stderr


def test_questions_commands(tmp_path):
    proc = run_cli(["questions", "list", "--category", "statistics", "--json"])
    items = json.loads(proc.stdout)
    assert len(items) >= 20 and all(i["category"] == "Statistics & Probability" for i in items)
    proc = run_cli(["questions", "show", "cross-entropy-vs-mse"])
    assert "Why interviewers ask this" in proc.stdout and "Key points to cover" in proc.stdout
    proc = run_cli(["questions", "validate"])
    assert proc.returncode == 0 and "0 problems" in proc.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad-card\ntitle: A question that is missing everything\n")
    proc = run_cli(["questions", "validate", str(bad)])
    assert proc.returncode == 3 and "bad.yaml" in proc.stderr and "why_asked: required field is missing" in proc.stderr


def test_typed_answer_that_is_empty():
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--text", "   "])
    assert proc.returncode == 6 and "empty" in proc.stderr
