"""Speaking while listening, with a fake microphone and speaker in real time
(short sounds): what is kept for the answer, barge-in, the echo guard."""

from __future__ import annotations

import time

import numpy as np
import pytest

from voicecoach.engines.duplex import BargeIn, speak_and_listen
from voicecoach.engines.vad import EnergyVAD

SR = 16000


class FakeSpeaker:
    def __init__(self) -> None:
        self.until = 0.0
        self.stopped_at = None

    def play(self, samples, rate, blocking=True, quick=False):
        self.until = time.monotonic() + len(samples) / rate

    def playing(self) -> bool:
        return time.monotonic() < self.until

    def stop(self) -> None:
        self.stopped_at = time.monotonic()
        self.until = 0.0


class FakeMic:
    """Delivers 0.1 s blocks in real time; speech (a loud tone) from
    ``speech_at`` s after creation on."""

    def __init__(self, speech_at: float) -> None:
        self.t0 = time.monotonic()
        self.speech_at = speech_at
        self.n = 0

    def read(self, timeout=0.1):
        heard_at = self.t0 + self.n * 0.1
        if time.monotonic() < heard_at + 0.1:
            time.sleep(min(timeout, heard_at + 0.1 - time.monotonic()))
            if time.monotonic() < heard_at + 0.1:
                return None
        self.n += 1
        t = heard_at + np.arange(1600) / SR
        block = np.where(t - self.t0 >= self.speech_at, 0.3 * np.sin(2 * np.pi * 200 * t), 0.0).astype(np.float32)
        return heard_at, block


def run(speech_at: float, sound_s: float = 1.0, mode: str = "auto"):
    spk, mic, policy = FakeSpeaker(), FakeMic(speech_at), BargeIn(mode)
    sound = np.full(int(sound_s * 22050), 0.1, np.float32)
    heard = speak_and_listen(sound, 22050, spk.play, spk.playing, spk.stop, mic, EnergyVAD(), policy)
    return heard, spk, mic, policy


def test_speech_right_after_the_sound_is_kept():
    heard, spk, mic, _ = run(speech_at=1.1)
    assert not heard.barged_in and spk.stopped_at is None
    kept = np.concatenate(heard.blocks) if heard.blocks else np.zeros(0)
    # what was heard from 0.3 s before the sound's end on is handed over
    assert 0.25 * SR <= len(kept) <= 0.6 * SR


def test_speaking_over_the_sound_stops_it_and_keeps_the_first_word():
    heard, spk, mic, _ = run(speech_at=1.0, sound_s=3.0)
    assert heard.barged_in and spk.stopped_at is not None
    assert spk.stopped_at - mic.t0 < 1.0 + 0.6
    kept = np.concatenate(heard.blocks)
    onset = np.flatnonzero(np.abs(kept) > 0.01)[0] / SR
    assert 0.2 <= onset <= 0.4  # PRE_SPEECH_S of lead-in before the first speech


def test_speech_at_the_very_start_is_taken_for_echo_and_ends_barge_in():
    heard, spk, _, policy = run(speech_at=0.1, sound_s=1.5)
    assert heard.echo and not heard.barged_in and spk.stopped_at is None
    assert policy.echo_seen and not policy.active


def test_barge_in_off_never_stops():
    heard, spk, _, _ = run(speech_at=0.5, sound_s=1.5, mode="off")
    assert not heard.barged_in and spk.stopped_at is None


def test_voice_keeps_the_microphone_open_after_a_barge_in_for_the_next_listener():
    from voicecoach.engines.duplex import Voice

    spk, mic = FakeSpeaker(), FakeMic(speech_at=1.0)
    closed = []
    mic.close = lambda: closed.append(True)
    voice = Voice(play=spk.play, playing=spk.playing, stop=spk.stop, open_mic=lambda: mic, detector=EnergyVAD)
    voice.speak(np.full(3 * 22050, 0.1, np.float32), 22050)
    carried = voice.take_carry()
    assert carried is not None and carried[0] is mic and not closed
    assert voice.take_carry() is None


def test_work_after_the_first_sound_starts_only_once_the_sound_is_playing():
    """Model loading (``on_started``) and the barge-in detector wait for the
    sound to be handed to the speaker: they never delay the first sound."""
    from voicecoach.engines.duplex import Voice

    spk, mic = FakeSpeaker(), FakeMic(speech_at=99)
    order: list[str] = []
    built = []

    def detector():
        built.append(spk.playing())
        return EnergyVAD()

    play = spk.play

    def logged_play(samples, rate, blocking=True, quick=False):
        order.append("play")
        play(samples, rate, blocking)

    voice = Voice(play=logged_play, playing=spk.playing, stop=spk.stop, open_mic=lambda: mic, detector=detector)
    voice.speak(np.full(int(0.5 * 22050), 0.1, np.float32), 22050, mic, on_started=lambda: order.append("load"))
    assert order == ["play", "load"]
    assert built == [True]  # the detector was built while the sound played


def test_late_detector_hears_nothing_until_built_and_survives_a_failure():
    from voicecoach.engines.duplex import LateDetector

    loud = np.full(512, 0.3, np.float32)
    gate = __import__("threading").Event()

    def slow():
        gate.wait(5)
        return EnergyVAD()

    late = LateDetector(slow).start()
    assert late(loud) == 0.0 and not late.ready
    gate.set()
    assert late.wait(5) and late(loud) == 1.0

    def broken():
        raise RuntimeError("no onnxruntime")

    bad = LateDetector(broken)
    assert not bad.wait(5) and bad(loud) == 0.0 and isinstance(bad.error, RuntimeError)


def _in_a_player_process(env: dict, body: str) -> str:
    """Run ``body`` in a new process (PortAudio reads ``env`` at start) after
    starting the playback process there (``p``; ``audio`` and ``np``
    imported); it must succeed. Returns what it printed."""
    import os
    import subprocess
    import sys

    code = "import numpy as np\nfrom voicecoach.engines import audio\np = audio.start_player()\n" + body
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _sounds_heard(pulse: dict, body: str) -> list[float]:
    """Run ``body`` in a player process (``_in_a_player_process``) while the
    speaker's monitor listens; the lengths (s) of the stretches of sound it heard."""
    from tests.realtime import FRAME_S, SpeakerWatch

    watch = SpeakerWatch(pulse)
    try:
        watch.settle()
        _in_a_player_process(pulse, body)
        time.sleep(0.3)
        loud, _ = watch.sound_frames()
    finally:
        watch.close()
    runs, n = [], 0
    for x in [*loud, False]:
        if x:
            n += 1
        elif n:
            runs.append(n * FRAME_S)
            n = 0
    return runs


def test_player_process_plays_the_whole_sound_to_the_device(alsa_file_device, tmp_path):
    """The interviewer's voice through the playback process, on a daemonless
    ALSA file device: every sample arrives, the process reports the end."""
    env, mic, speaker = alsa_file_device
    np.zeros(16000, np.int16).tofile(mic)
    out = _in_a_player_process(env, "t = np.arange(16000) / 16000\n"
                                    "audio.play((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, blocking=False)\n"
                                    "assert audio.playing()\n"
                                    "audio.wait_playback()\n"
                                    "assert not audio.playing()\n"
                                    "audio.play(np.full(8000, 0.25, np.float32), 16000)\n"
                                    "print('ok', p.error)\n")
    assert out.split()[0] == "ok"
    played = np.fromfile(speaker, dtype="<i2").astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(played) > 0.01)
    tone = played[loud[0] : loud[0] + 16000]
    assert abs(np.sqrt(np.mean(tone**2)) - 0.5 / np.sqrt(2)) < 0.02  # the sine, whole
    assert np.sum(np.abs(played - 0.25) < 0.002) >= 7900  # and the second sound after it, whole


@pytest.mark.pulse
def test_the_end_tone_plays_whole_through_pulseaudio(pulse):
    """Cues play with a shallow buffer (their first sound comes sooner); on
    PulseAudio, whose ALSA plugin may drop a new stream's first buffer and
    end it before the last one has drained, the beep still arrives whole,
    and so does a long sound after it."""
    runs = _sounds_heard(pulse, "audio.play(audio.tone(660), 22050)\n"
                                "import time; time.sleep(0.5)\n"
                                "t = np.arange(22050) / 22050\n"
                                "audio.play((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050)\n")
    assert len(runs) == 2, runs
    assert 0.11 <= runs[0] <= 0.2 and 0.95 <= runs[1] <= 1.1, runs  # a 0.15 s beep (soft edges), then 1 s


@pytest.mark.pulse
def test_a_quick_sound_plays_without_a_gap_while_both_cores_are_busy(pulse):
    """The opener (the first words after an answer) plays with the shallow
    buffer ("quick") while Whisper transcribes the tail on both cores: the
    player process still keeps it fed (two busy processes stand in for
    Whisper here)."""
    runs = _sounds_heard(pulse, "import subprocess, sys, time\n"
                                "burn = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]\n"
                                "time.sleep(0.3)\n"
                                "t = np.arange(2 * 22050) / 22050\n"
                                "audio.play((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050, quick=True)\n"
                                "[b.kill() for b in burn]\n")
    assert len(runs) == 1 and 1.95 <= runs[0] <= 2.1, runs  # 2 s of sine, in one piece
