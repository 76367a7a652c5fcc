"""The whole spoken loop through sounddevice: over a daemonless ALSA file
device (fast, deterministic) and in real time over PulseAudio null sinks
("speaking into the mic" with paplay, capturing the speaker with parecord)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import LLM_CARDS, VOICECOACH, espeak_wav, run_cli, wav_to_raw, wer
from voicecoach.engines.audiofile import read_audio, resample


ANSWER = (
    "I would use cross entropy for classification, because it compares the predicted probabilities with the true labels. "
    "Mean squared error assumes Gaussian noise, which does not fit class labels. Cross entropy also gives large gradients "
    "when the model is confidently wrong, so training converges faster. It is the standard loss for logistic regression "
    "and neural network classifiers."
)


def check_saved(home: Path, result: dict) -> None:
    db = sqlite3.connect(home / "voicecoach.db")
    status, audio_path = db.execute("SELECT status, audio_path FROM attempts WHERE id = ?", (result["attempt_id"],)).fetchone()
    assert status == "scored"
    saved = sf.info(audio_path)
    assert saved.samplerate == 16000 and saved.duration > 10
    [(record_json,)] = db.execute("SELECT record_json FROM results WHERE attempt_id = ?", (result["attempt_id"],)).fetchall()
    assert json.loads(record_json)["transcript"]["text"] == result["transcript"]["text"]
    assert (home.stat().st_mode & 0o077) == 0


@pytest.mark.slow
def test_practice_over_alsa_file_device(alsa_file_device, tmp_path, isolated_home, whisper):
    env, mic, speaker = alsa_file_device
    answer = espeak_wav(ANSWER, tmp_path / "answer.wav", rate_wpm=150, lead_s=1.0)
    wav_to_raw(answer, mic, pad_tail_s=6.0)
    # the card version ANSWER was written for (the bank's card has since been rewritten)
    card = LLM_CARDS / "cross-entropy-vs-mse.yaml"
    # The file "microphone" runs far faster than real time: opened with the
    # question (to keep an answer that starts early), it would be read to its
    # end while the question plays. So this run answers without the spoken
    # question (the microphone path over ALSA), and a second run checks the
    # ALSA speaker with the spoken feedback. The real-time PulseAudio tests
    # cover speaking and listening at once.
    proc = run_cli(["practice", "--card", str(card), "--json", "--no-speak"], env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["stop_reason"] in ("silence", "turn")
    assert wer(ANSWER, result["transcript"]["text"]) < 0.35
    assert result["delivery"]["duration_s"] > 15
    assert 110 < result["delivery"]["words_per_minute"] < 190
    covered = [k for k in result["key_points"] if k["verdict"] == "covered"]
    assert len(covered) >= 3
    check_saved(isolated_home, result)
    # the spoken feedback goes to the ALSA speaker
    speaker.write_bytes(b"")
    proc = run_cli(["practice", "--card", str(card), "--text", ANSWER, "--speak", "--json"],
                   env={**env, "VOICECOACH_PLAYER": "inline"}, timeout=240)
    assert proc.returncode == 0, proc.stderr
    played = np.fromfile(speaker, dtype="<i2").astype(np.float32) / 32768
    assert len(played) / 16000 > 3
    heard = whisper.transcribe(played[: 16000 * 12]).text.lower()
    assert "scored" in heard and "100" in heard.replace("hundred", "100"), heard


def test_enter_key_is_ignored_without_a_terminal_and_time_limit_holds(alsa_file_device, tmp_path):
    env, mic, speaker = alsa_file_device
    # 25 s of continuous speech, a card with a 10 s limit: the limit ends it
    long_text = " ".join([ANSWER] * 2)
    wav_to_raw(espeak_wav(long_text, tmp_path / "long.wav", rate_wpm=170), mic)
    card = tmp_path / "short.yaml"
    import yaml

    from voicecoach.content.questions import BUILTIN_BANK

    data = yaml.safe_load((BUILTIN_BANK / "machine-learning" / "cross-entropy-vs-mse.yaml").read_text())
    data.update(id="short-limit", time_limit_s=10)
    card.write_text(yaml.safe_dump(data))
    proc = run_cli(["practice", "--card", str(card), "--json", "--no-speak"], env=env, timeout=240, input="")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["stop_reason"] == "time_limit"
    assert 9.5 <= result["delivery"]["duration_s"] <= 11


def test_silence_only_is_reported_and_kept(alsa_file_device, isolated_home):
    env, mic, speaker = alsa_file_device
    np.zeros(16000 * 20, dtype="<i2").tofile(mic)
    proc = run_cli(["practice", "--question", "cross-entropy-vs-mse", "--no-speak"], env=env, timeout=120)
    assert proc.returncode == 6
    assert "didn't hear an answer" in proc.stderr
    assert "Traceback" not in proc.stderr
    db = sqlite3.connect(isolated_home / "voicecoach.db")
    assert db.execute("SELECT status FROM attempts").fetchone()[0] == "no_speech"


@pytest.mark.slow
@pytest.mark.pulse
def test_realtime_interview_over_pulseaudio(pulse, tmp_path, isolated_home, whisper):
    """Speak into the virtual mic while voicecoach listens; capture what it
    says on the virtual speaker; check the saved session."""
    env = dict(pulse)
    answer = espeak_wav(ANSWER + " That's my answer.", tmp_path / "answer.wav", rate_wpm=155)
    captured = tmp_path / "speaker.wav"
    rec = subprocess.Popen(["parecord", "--device=speaker.monitor", "--file-format=wav", "--rate=16000", "--channels=1", str(captured)],
                           env={**_base_env(), **env})
    full_env = {**_base_env(), **env, "VOICECOACH_HOME": str(isolated_home)}
    proc = subprocess.Popen([VOICECOACH, "practice", "--question", "cross-entropy-vs-mse", "--json", "--end-silence", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
    # wait until it listens (after speaking the question), then answer
    stderr_lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        stderr_lines.append(line)
        if "Listening" in line or not line:
            break
    assert any("Listening" in x for x in stderr_lines), "".join(stderr_lines)
    time.sleep(0.5)
    subprocess.run(["paplay", "--device=micfeed", str(answer)], env={**_base_env(), **env}, check=True, timeout=120)
    out, err = proc.communicate(timeout=180)
    rec.terminate()
    rec.wait(timeout=10)
    assert proc.returncode == 0, "".join(stderr_lines) + err
    result = json.loads(out)
    # the closing phrase ended the answer before the 4 s silence window did
    assert result["stop_reason"] in ("phrase", "silence")
    assert "my answer" not in result["transcript"]["text"].lower()[-20:]
    assert wer(ANSWER, result["transcript"]["text"]) < 0.35
    check_saved(isolated_home, result)
    spoken = read_audio(captured)
    assert len(spoken) / 16000 > 5
    heard = whisper.transcribe(spoken).text.lower()
    assert "cross" in heard and "instead" in heard
    assert "key points" in heard or "scored" in heard  # the spoken feedback


def _base_env() -> dict:
    import os

    return dict(os.environ)
