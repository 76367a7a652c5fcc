"""Shared fixtures: an isolated VOICECOACH_HOME, real models loaded once,
virtual audio devices (a daemonless ALSA file device and a real-time
PulseAudio with null sinks), and helpers to make speech and run the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
VOICECOACH = str(VENV_BIN / "voicecoach")
IN_CI = os.environ.get("CI") == "true"


def need(tool: str) -> None:
    """A missing system tool fails the test in CI (the set-up must install it)
    and skips it on a developer machine."""
    if shutil.which(tool) is None:
        (pytest.fail if IN_CI else pytest.skip)(f"{tool} is not installed (install.sh --dev installs it)")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("VOICECOACH_HOME", str(home))
    for var in ("VOICECOACH_MODEL", "VOICECOACH_API_BASE", "VOICECOACH_OFFLINE", "VOICECOACH_STT", "VOICECOACH_SPEAK"):
        monkeypatch.delenv(var, raising=False)
    # The judge's "auto" never finds a model server the developer happens to run.
    monkeypatch.setenv("VOICECOACH_LOCAL_SERVERS", "none")
    return home


# ------------------------------------------------------------------ real models


@pytest.fixture(scope="session")
def whisper():
    from voicecoach.engines.stt import FasterWhisperTranscriber

    return FasterWhisperTranscriber("tiny.en", beam_size=5)


@pytest.fixture(scope="session")
def embedder():
    from voicecoach.engines.embed import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def offline_judge(embedder):
    from voicecoach.judge.offline import OfflineJudge

    return OfflineJudge(embedder)


# The bank's cards as the LLM-path tests' scripted replies, quotes and one
# spoken answer were written for them (see tests/data/llm_cards/README.md).
LLM_CARDS = ROOT / "tests" / "data" / "llm_cards"


@pytest.fixture(scope="session")
def llm_bank():
    from voicecoach.content.questions import load_bank

    return load_bank([LLM_CARDS], include_builtin=False)


@pytest.fixture(scope="session")
def bank():
    from voicecoach.content.questions import load_bank

    return load_bank()


# ----------------------------------------------------------------------- speech


def espeak_wav(text: str, path: Path, rate_wpm: int = 160, voice: str = "en-us", lead_s: float = 0.0, tail_s: float = 0.0, sr: int = 16000) -> Path:
    """Synthesize ``text`` with espeak-ng at a set rate, as 16 kHz mono WAV,
    padded with silence."""
    need("espeak-ng")
    import soundfile as sf

    from voicecoach.engines.audiofile import resample

    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "-w", str(raw), text], check=True, capture_output=True)
    data, r = sf.read(str(raw), dtype="float32")
    raw.unlink()
    data = resample(data, r, sr)
    data = np.concatenate([np.zeros(int(lead_s * sr), np.float32), data, np.zeros(int(tail_s * sr), np.float32)])
    sf.write(str(path), data, sr, subtype="PCM_16")
    return path


# "press 1" and "press one" are the same words: Whisper writes either
_DIGITS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}


def wer_words(s: str) -> list[str]:
    """The words ``wer`` compares: lower case, no punctuation, numbers as digits."""
    import re

    return [_DIGITS.get(w, w) for w in re.findall(r"[a-z0-9']+", s.lower().replace("-", " "))]


def wer(ref: str, hyp: str) -> float:
    r, h = wer_words(ref), wer_words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))


# ---------------------------------------------------------------------- the CLI


def run_cli(args: list[str], env: dict | None = None, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([VOICECOACH, *args], capture_output=True, text=True, env=full_env, timeout=timeout, input=input)


NO_AUDIO_ENV = {"PULSE_SERVER": "unix:/nonexistent/voicecoach-test", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}


# --------------------------------------------------------------- virtual audio


ALSA_FILE_CONF = """
pcm.!default {{ type asym; playback.pcm "vc_play"; capture.pcm "vc_cap" }}
pcm.vc_cap {{ type plug; slave {{ pcm {{ type file; slave.pcm "null"; file "/dev/null"; infile "{infile}"; format "raw" }}
  format S16_LE; rate 16000; channels 1 }} }}
pcm.vc_play {{ type plug; slave {{ pcm {{ type file; slave.pcm "null"; file "|cat >> {outfile}"; format "raw" }}
  format S16_LE; rate 16000; channels 1 }} }}
"""


@pytest.fixture
def alsa_file_device(tmp_path):
    """A daemonless ALSA device: capture reads ``mic.raw`` (s16le 16 kHz mono),
    playback writes ``speaker.raw``. Returns (env, mic_raw_path, speaker_raw_path);
    the env must be given to a *new* process (PortAudio reads it at start)."""
    if not Path("/usr/share/alsa/alsa.conf").exists():
        (pytest.fail if IN_CI else pytest.skip)("ALSA configuration missing (install libasound2)")
    mic, spk = tmp_path / "mic.raw", tmp_path / "speaker.raw"
    conf = tmp_path / "asound.conf"
    conf.write_text(ALSA_FILE_CONF.format(infile=mic, outfile=spk))
    env = {"ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{conf}", "PULSE_SERVER": "unix:/nonexistent/voicecoach-test"}
    return env, mic, spk


def wav_to_raw(wav: Path, raw: Path, pad_tail_s: float = 0.0) -> None:
    import soundfile as sf

    data, sr = sf.read(str(wav), dtype="int16")
    assert sr == 16000
    data = np.concatenate([data, np.zeros(int(pad_tail_s * sr), np.int16)])
    data.astype("<i2").tofile(raw)


VIRTUAL_PA = ROOT / "tests" / "virtual.pa"


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """A private PulseAudio daemon: sink 'speaker' (the default output) and a
    'mic' source fed by sink 'micfeed'. Yields the env for clients."""
    need("pulseaudio")
    need("paplay")
    rt = tmp_path_factory.mktemp("pulse-rt")
    os.chmod(rt, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(rt), HOME=str(rt))
    env.pop("PULSE_SERVER", None)
    env.pop("ALSA_CONFIG_PATH", None)
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", f"--file={VIRTUAL_PA}", "--use-pid-file=yes", "--log-target=stderr"],
                   env=env, check=True, capture_output=True, timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline:
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the virtual PulseAudio daemon did not start")
    client_env = {"XDG_RUNTIME_DIR": str(rt), "PULSE_SERVER": f"unix:{rt}/pulse/native", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}
    yield client_env
    subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)


def stream_like_the_microphone(audio, transcriber, end_silence_s: float | None = None):
    """Feed 16 kHz audio through the path the microphone takes (Silero
    endpointer + StreamingTranscriber, 0.1 s blocks, faster than real time).
    Returns (Transcript, chunks cut). ``end_silence_s``: the silence that
    ends the answer, the app's default unless given (the Transcript's
    duration_s says how much of ``audio`` was fed before it ended)."""
    from voicecoach.config import Settings
    from voicecoach.engines.streaming import StreamingTranscriber
    from voicecoach.engines.vad import Endpointer, SileroVAD

    if end_silence_s is None:
        end_silence_s = Settings.model_fields["end_silence_s"].default
    ep = Endpointer(SileroVAD(), end_silence_s=end_silence_s)
    st = StreamingTranscriber(lambda: transcriber)
    feed_like_the_microphone(audio, ep, st)
    t = st.finish(st._n / 16000, last_speech_s=ep.last_speech_end)
    return t, st.chunks_done_early + 1


def feed_like_the_microphone(audio, endpointer, stream) -> bool:
    """Feed 16 kHz audio in 0.1 s blocks to an endpointer and a streaming
    transcriber, as the recording loop does, until the answer ends.
    Returns whether it ended."""
    for k in range(0, len(audio), 1600):
        piece = audio[k : k + 1600]
        stream.add(piece)
        ended = endpointer.feed(piece)
        stream.poll(endpointer.segments, endpointer.pauses)
        if ended:
            return True
    return False
