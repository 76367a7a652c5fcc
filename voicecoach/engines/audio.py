"""sounddevice: device checks, playback and recording. The only module that
imports sounddevice."""

from __future__ import annotations

import contextlib
import os
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from voicecoach.engines.audiofile import SAMPLE_RATE, WavWriter
from voicecoach.engines.player import current_player, start_player  # noqa: F401  (audio.start_player: the front ends start it)
from voicecoach.errors import AudioDeviceError, Step
from voicecoach.models import Recording
from voicecoach.engines.vad import Endpointer

# Without a device the answer can still be typed or given as a file.
NO_DEVICE = Step("no_device")
# This much speech after an end the model decided (about a syllable or two,
# as for barge-in) means the candidate went on: the answer resumes.
RESUME_SPEECH_S = 0.25


_ALSA_HANDLER = None  # the C callback must outlive every ALSA call


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2 to /dev/null for a moment: PortAudio prints its
    probing of ALSA devices ("Expression ... failed", "Unknown PCM") there."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _silence_alsa() -> None:
    """Route libasound's error messages ("ALSA lib pcm.c:...: underrun
    occurred") to a handler that drops them, instead of the terminal."""
    global _ALSA_HANDLER
    if _ALSA_HANDLER is not None:
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name:
        _ALSA_HANDLER = False
        return
    try:
        lib = ctypes.CDLL(name)
        proto = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
        _ALSA_HANDLER = proto(lambda *args: None)
        lib.snd_lib_error_set_handler(_ALSA_HANDLER)
    except (OSError, AttributeError):
        _ALSA_HANDLER = False


def _sd():
    import sys

    first = "sounddevice" not in sys.modules
    try:
        if first:
            _silence_alsa()
            with quiet_stderr():  # importing initialises PortAudio, which probes every device
                import sounddevice as sd
        else:
            import sounddevice as sd
    except OSError as exc:  # libportaudio2 missing
        raise AudioDeviceError(
            "the PortAudio library is not installed, so voicecoach cannot use a microphone or speaker",
            hint="Install it (Debian/Ubuntu: sudo apt-get install libportaudio2).", step=NO_DEVICE,
        ) from exc
    return sd


def _device(value: str | None):
    if value is None or value == "":
        return None
    return int(value) if str(value).isdigit() else value


def list_devices() -> list[dict]:
    sd = _sd()
    try:
        return [dict(d) for d in sd.query_devices()]
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot list audio devices: {exc}") from exc


def check_devices(need_input: bool, need_output: bool, input_device=None, output_device=None) -> None:
    """Fail fast, naming what is missing, instead of hanging later."""
    sd = _sd()
    missing = []
    for needed, kind, dev in ((need_input, "input", input_device), (need_output, "output", output_device)):
        if not needed:
            continue
        try:
            info = sd.query_devices(_device(dev), kind=kind)
            ok = info and info.get(f"max_{kind}_channels", 0) > 0
        except (sd.PortAudioError, ValueError):
            ok = False
        if not ok:
            missing.append("microphone" if kind == "input" else "speaker")
    if missing:
        what = " and ".join(missing)
        raise AudioDeviceError(f"no {what} found" + (f" (device {input_device or output_device!r})" if (input_device or output_device) else ""),
                               step=Step("no_device", {"speaker": True}))


def play(samples: np.ndarray, rate: int, device=None, blocking: bool = True, quick: bool = False) -> None:
    """Play (by default until done); Ctrl-C stops the sound and propagates.
    With ``blocking=False`` it returns at once: ``wait_playback()`` or
    ``stop_playback()`` later. Through the player process once
    ``start_player`` ran, else in this process. ``quick``: a shallow buffer,
    for a sound that must start soon (the first words after an answer)."""
    if current_player() is not None:
        try:
            current_player().play(samples, rate, blocking=blocking, quick=quick)
        except KeyboardInterrupt:
            current_player().stop()
            raise
        return
    sd = _sd()
    try:
        sd.play(np.asarray(samples, dtype=np.float32), rate, device=_device(device), latency=0.1 if quick else "high")
        if blocking:
            sd.wait()
    except KeyboardInterrupt:
        sd.stop()
        raise
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot play audio: {exc}", hint="Check the speaker.", step=Step("no_speak")) from exc


def playing() -> bool:
    """True while a sound started with ``play(blocking=False)`` is still playing."""
    if current_player() is not None:
        return current_player().playing()
    sd = _sd()
    try:
        return bool(sd.get_stream().active)
    except RuntimeError:  # nothing was ever played
        return False


def wait_playback() -> None:
    if current_player() is not None:
        current_player().wait()
        return
    sd = _sd()
    try:
        sd.wait()
    except KeyboardInterrupt:
        sd.stop()
        raise


def stop_playback() -> None:
    if current_player() is not None:
        current_player().stop()
        return
    _sd().stop()


def tone(freq: float = 880.0, seconds: float = 0.15, rate: int = 22050) -> np.ndarray:
    """A short cue tone with soft edges (no click)."""
    t = np.arange(int(seconds * rate)) / rate
    env = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)
    return (0.3 * np.sin(2 * np.pi * freq * t) * env).astype(np.float32)


@dataclass
class Tick:
    """What a live indicator shows while listening."""

    elapsed_s: float
    level_db: float
    heard_speech: bool
    silence_s: float
    limit_s: float


StopCheck = Callable[[], str | None]


class Microphone:
    """The microphone, opened ahead of time (at the start of the question), so
    nothing the candidate says is lost to a stream being opened late. Blocks
    wait in a queue with the monotonic time their first sample was heard."""

    def __init__(self, device=None) -> None:
        sd = _sd()
        self._sd = sd
        self._q: queue.Queue[tuple[float, np.ndarray]] = queue.Queue()
        self.overflows = 0
        self._latency = 0.0

        def callback(indata, frames, time_info, status):  # runs on PortAudio's thread
            if status.input_overflow:
                self.overflows += 1
            heard_at = time.monotonic() - frames / SAMPLE_RATE - self._latency
            self._q.put((heard_at, indata[:, 0].astype(np.float32) / 32768.0))

        try:
            with quiet_stderr():
                self._stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=0, latency="high",
                                              device=_device(device), callback=callback)
            self._latency = float(self._stream.latency or 0.0)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(f"cannot open the microphone: {exc}", step=NO_DEVICE) from exc
        self.opened_at = time.monotonic()

    def read(self, timeout: float = 0.1) -> tuple[float, np.ndarray] | None:
        """The next block as (time heard, float32 samples), or None."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except self._sd.PortAudioError:
            pass

    def __enter__(self) -> "Microphone":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def record(
    path: Path,
    endpointer: Endpointer,
    limit_s: float,
    no_speech_timeout_s: float = 15.0,
    device=None,
    should_stop: StopCheck | None = None,
    on_tick: Callable[[Tick], None] | None = None,
    on_audio: Callable[[np.ndarray], None] | None = None,
    mic: Microphone | None = None,
    preroll: list[np.ndarray] | tuple = (),
    sync_every: int = 16,
    on_end: Callable[[], None] | None = None,
    resume_s: float = 0.0,
    on_resume: Callable[[], None] | None = None,
) -> Recording:
    """Record 16 kHz mono from the microphone to ``path`` until the endpointer
    says the answer is over, ``should_stop`` returns a reason, the time limit
    passes, or nothing is said for ``no_speech_timeout_s``.

    The WAV is written as audio arrives; on Ctrl-C or a device failure what was
    recorded is kept and the exception propagates (``partial_recording`` is
    attached to it).

    ``mic``: a microphone opened earlier (it stays open; otherwise one is
    opened and closed here). ``preroll``: audio heard before this call that
    belongs to the answer (from the question's last sound, or from the
    candidate's first word if they spoke over the question). ``sync_every``:
    how many blocks between updates of the WAV header (1: every block on disk
    at once, for a microphone whose blocks arrive over a network).

    ``on_end`` runs the moment the endpointer decides the answer is over (the
    end tone). When the end-of-turn model decided it, the microphone keeps
    listening for ``resume_s`` more: if the candidate speaks again (a pause
    that only sounded final), the answer goes on as if it had not ended, and
    ``on_resume`` runs (the interviewer, who began to speak, stops)."""
    sd = _sd() if mic is None else None  # a microphone given (a browser's) needs no PortAudio
    port_error = sd.PortAudioError if sd is not None else ()
    writer = WavWriter(path, SAMPLE_RATE, sync_every=sync_every)
    reason = "time_limit"
    last_audio = time.monotonic()
    pending = [np.asarray(b, dtype=np.float32) for b in preroll]
    grace: tuple[float, float, float | None] | None = None  # (when the end was decided, speech so far, decided_at)
    own_mic = mic is None
    try:
        if own_mic:
            mic = Microphone(device)
        try:
            while True:
                if pending:
                    chunk = pending.pop(0)
                else:
                    got = mic.read(0.1)
                    chunk = got[1] if got else None
                    if chunk is None and time.monotonic() - last_audio > 3.0:
                        raise AudioDeviceError(
                            "the microphone stopped delivering audio (was it unplugged?)",
                            hint="What was recorded so far is saved.", step=NO_DEVICE,
                        )
                if chunk is not None:
                    last_audio = time.monotonic()
                    writer.write(chunk)
                    if on_audio:
                        on_audio(chunk)
                    if grace is None:
                        if endpointer.feed(chunk):
                            if on_end:
                                on_end()
                            if resume_s <= 0 or endpointer.end_reason != "turn":
                                reason = "silence"
                                break
                            grace = (time.monotonic(), endpointer.speech_s, endpointer.decided_at)
                            endpointer.hold_checks = True  # their CPU goes to transcribing the tail
                    else:
                        endpointer.feed(chunk)  # its later verdicts on this pause do not count
                        if endpointer.speech_s - grace[1] >= RESUME_SPEECH_S:
                            grace = None  # the candidate went on: so does the answer
                            endpointer.end_reason = endpointer.decided_at = None
                            endpointer.hold_checks = False
                            endpointer.resumed += 1
                            if on_resume:
                                on_resume()
                    level = 20 * np.log10(float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) + 1e-9)
                else:
                    level = -120.0
                if grace is not None and time.monotonic() - grace[0] >= resume_s:
                    endpointer.end_reason, endpointer.decided_at = "turn", grace[2]  # the end stands, as first decided
                    reason = "silence"
                    break
                elapsed = writer.duration_s
                if on_tick:
                    on_tick(Tick(elapsed, level, endpointer.heard_speech, endpointer.silence_s, limit_s))
                if elapsed >= limit_s:
                    reason = "time_limit"
                    break
                if not endpointer.heard_speech and elapsed >= no_speech_timeout_s:
                    reason = "no_speech"
                    break
                if should_stop:
                    why = should_stop()
                    if why:
                        reason = why
                        break
        finally:
            if own_mic and mic is not None:
                mic.close()
    except KeyboardInterrupt as exc:
        writer.close()
        exc.partial_recording = Recording(path=str(path), sample_rate=SAMPLE_RATE, duration_s=writer.duration_s, stop_reason="interrupted")
        raise
    except port_error as exc:
        writer.close()
        err = AudioDeviceError(f"the microphone failed while recording: {exc}", hint="What was recorded so far is saved.")
        err.partial_recording = Recording(path=str(path), sample_rate=SAMPLE_RATE, duration_s=writer.duration_s, stop_reason="device_error")
        raise err from exc
    except AudioDeviceError as exc:
        writer.close()
        exc.partial_recording = Recording(path=str(path), sample_rate=SAMPLE_RATE, duration_s=writer.duration_s, stop_reason="device_error")
        raise
    writer.close()
    return Recording(path=str(path), sample_rate=SAMPLE_RATE, duration_s=writer.duration_s, stop_reason=reason)
