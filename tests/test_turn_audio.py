"""The spoken turn in real time over the virtual PulseAudio devices: an
answer that starts 0.3 s after the question's last sound is kept from its
first word, and an answer spoken over the question stops it (barge-in)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import VOICECOACH, espeak_wav, wer
from tests.realtime import FRAME_S, SR, SpeakerWatch, question_audio, speak_at, trim

pytestmark = [pytest.mark.slow, pytest.mark.pulse]

CARD = "cross-entropy-vs-mse"
ANSWER = ("I would use cross entropy for classification, because it compares the predicted probabilities with the true labels. "
          "Mean squared error assumes Gaussian noise, which does not fit class labels. It is the standard loss for logistic regression.")


def _practice(pulse, home, watch, answer_wav, when_fn) -> tuple[dict, float, float]:
    """Run practice; speak ``answer_wav`` at when_fn(first sound of the question).
    Returns (result, answer start, answer end) as monotonic times."""
    env = {**os.environ, **pulse, "VOICECOACH_HOME": str(home)}
    proc = subprocess.Popen([VOICECOACH, "practice", "--question", CARD, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        first = watch.wait_for_sound(180)
        player = speak_at(pulse, answer_wav, when_fn(first))
        started = time.monotonic()
        player.wait(timeout=120)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "ALSA lib" not in err and "Expression '" not in err  # no audio-library chatter
    answer = trim(sf.read(str(answer_wav), dtype="float32")[0])
    return json.loads(out.splitlines()[-1]), started, started + len(answer) / SR


def _first_words_kept(result: dict) -> None:
    text = result["transcript"]["text"].lower()
    assert wer(ANSWER, result["transcript"]["text"]) < 0.35, text
    words = " ".join(re.findall(r"[a-z]+", text))  # Whisper may write "cross -entropy" or "cross-entropy"
    assert "cross entropy for class" in words[:60], text
    saved = sf.info(result["audio_path"])
    assert saved.duration > 13


def test_answer_starting_right_after_the_question_is_kept_whole(pulse, tmp_path, isolated_home):
    from voicecoach.content.questions import load_bank

    q = question_audio(load_bank().get(CARD).title)
    answer_wav = espeak_wav(ANSWER, tmp_path / "answer.wav", rate_wpm=160)
    watch = SpeakerWatch(pulse)
    watch.settle()  # a monitor that just started times sounds late
    try:
        # 0.3 s after the question's last sound (before its start tone has finished)
        result, _, _ = _practice(pulse, isolated_home, watch, answer_wav, lambda first: first + len(q) / SR + 0.3)
    finally:
        watch.close()
    _first_words_kept(result)


def test_speaking_over_the_question_stops_it_and_is_the_answer(pulse, tmp_path, isolated_home):
    answer_wav = espeak_wav(ANSWER, tmp_path / "answer.wav", rate_wpm=160)
    watch = SpeakerWatch(pulse)
    watch.settle()  # a monitor that just started times sounds late
    try:
        result, started, end = _practice(pulse, isolated_home, watch, answer_wav, lambda first: first + 1.5)
        loud, t0 = watch.sound_frames()
    finally:
        watch.close()
    times = t0 + np.arange(len(loud)) * FRAME_S
    # the interviewer went quiet within a second of the candidate's first word
    talking_over = loud & (times > started + 1.0) & (times < end - 0.5)
    assert talking_over.sum() * FRAME_S < 0.3
    _first_words_kept(result)
