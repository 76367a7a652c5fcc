"""After the end-of-turn model ends an answer, the microphone listens a
moment more: speaking again resumes the answer (audio.record's resume_s).
A scripted microphone delivers 0.1 s blocks in real time."""

from __future__ import annotations

import time

import numpy as np
import soundfile as sf

from voicecoach.engines.audio import record
from voicecoach.engines.vad import Endpointer, EnergyVAD

SR = 16000


class ScriptedMic:
    """Plays ``audio`` into the recorder at the pace of a real microphone."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio = audio
        self.t0 = time.monotonic()
        self.n = 0

    def read(self, timeout=0.1):
        due = self.t0 + (self.n + 1) * 0.1
        wait = due - time.monotonic()
        if wait > timeout:
            time.sleep(timeout)
            return None
        time.sleep(max(0.0, wait))
        block = self.audio[self.n * 1600 : (self.n + 1) * 1600]
        if not len(block):
            block = np.zeros(1600, np.float32)
        self.n += 1
        return due - 0.1, block

    def close(self) -> None:
        pass


def sound(s: float) -> np.ndarray:
    return (0.3 * np.sin(np.arange(int(SR * s)) * 0.1)).astype(np.float32)


def quiet(s: float) -> np.ndarray:
    return np.zeros(int(SR * s), np.float32)


def run(audio: np.ndarray, tmp_path, resume_s: float, resumes: list | None = None):
    ends = []
    mic = ScriptedMic(audio)
    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=lambda a: 0.9, turn_checks_s=(0.5, 0.7), background=True)
    on_resume = (lambda: resumes.append(time.monotonic() - mic.t0)) if resumes is not None else None
    rec = record(tmp_path / "a.wav", ep, limit_s=30, mic=mic, on_end=lambda: ends.append(time.monotonic() - mic.t0), resume_s=resume_s,
                 on_resume=on_resume)
    ep.close()
    return rec, ep, ends, sf.read(str(tmp_path / "a.wav"), dtype="float32")[0]


def test_speaking_again_after_the_end_tone_resumes_the_answer(tmp_path):
    # 1 s of speech, a 1.2 s pause that sounds final, 1 s more speech, then quiet
    audio = np.concatenate([sound(1.0), quiet(1.2), sound(1.0), quiet(4.0)])
    resumes = []
    rec, ep, ends, saved = run(audio, tmp_path, resume_s=1.5, resumes=resumes)
    assert len(ends) == 2 and ep.resumed == 1  # the first end was taken back
    assert 1.6 <= ends[0] <= 2.1 and 3.9 <= ends[1] <= 4.5, ends
    # the interviewer, who began at the first end, is told at once (0.25 s of speech)
    assert len(resumes) == 1 and 2.4 <= resumes[0] <= 2.8, resumes
    loud = np.flatnonzero(np.abs(saved) > 0.05)
    assert loud[-1] / SR >= 3.1  # the second stretch of speech is in the answer, to its end
    assert rec.stop_reason == "silence" and ep.end_reason == "turn"
    assert ep.decided_at is not None


def test_without_more_speech_the_end_stands_after_the_grace(tmp_path):
    audio = np.concatenate([sound(1.0), quiet(5.0)])
    start = time.monotonic()
    resumes = []
    rec, ep, ends, saved = run(audio, tmp_path, resume_s=1.0, resumes=resumes)
    took = time.monotonic() - start
    assert len(ends) == 1 and ep.resumed == 0 and ep.end_reason == "turn" and resumes == []
    # decided at ~1.7-1.9 s; the recording stops 1 s later, not at the 4 s silence bound
    assert 2.5 <= took <= 3.4, took
    assert 2.5 <= rec.duration_s <= 3.4


def test_no_grace_stops_at_the_end(tmp_path):
    audio = np.concatenate([sound(1.0), quiet(1.2), sound(1.0), quiet(4.0)])
    rec, ep, ends, saved = run(audio, tmp_path, resume_s=0.0)
    assert len(ends) == 1 and ep.resumed == 0
    assert rec.duration_s <= 2.2  # the second stretch is not recorded


def test_no_end_of_turn_checks_run_while_only_listening_for_more(tmp_path):
    audio = np.concatenate([sound(1.0), quiet(5.0)])
    rec, ep, ends, saved = run(audio, tmp_path, resume_s=1.5)
    assert [round(s, 1) for _, s, _ in ep.turn_log] == [0.5, 0.7]  # none at 1.2 s or later, in the grace
