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

from .audiofile import SAMPLE_RATE, WavWriter
from .errors import AudioDeviceError, Step
from .models import Recording
from .vad import Endpointer

# Without a device the answer can still be typed or given as a file.
NO_DEVICE = Step("no_device")


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


# The interviewer's voice plays from a small process of its own: this one
# loads Whisper and the other models while the question plays, and a load
# that holds the interpreter (a native library being linked in, an import)
# delays sounddevice's Python callback past the device buffer: the question
# stuttered (bench/startup.py: a 0.35 s hole; none from the player process).
# The player imports only numpy and sounddevice; it gets a whole sound at a
# time (synthesized before it plays) and plays it from its callback buffer.
PLAYER_SOURCE = r"""
import signal, sys, threading
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
try:
    import sounddevice as sd  # no numpy: raw float32 bytes (numpy would double this process's start-up)
except OSError as exc:
    print("ERROR -1 " + str(exc).replace(chr(10), " "), flush=True)
    sys.exit(1)
DEVICE = None if sys.argv[1] == "-" else int(sys.argv[1]) if sys.argv[1].isdigit() else bytes.fromhex(sys.argv[1]).decode()
LATENCY = 0.25  # a deep buffer: this process may wait that long for a CPU core without a gap
out = sys.stdout
lock = threading.Lock()
state = {"n": None, "stream": None}

def say(line):
    with lock:
        out.write(line + chr(10))
        out.flush()

def finish(n):
    with lock:
        if state["n"] != n:
            return
        state["n"] = None
    say("DONE %d" % n)

def stop():
    n, stream = state["n"], state["stream"]
    state["stream"] = None
    if stream is not None:
        try:
            stream.abort()  # drop what is buffered: the sound stops now
            stream.close()
        except Exception:
            pass
    if n is not None:
        finish(n)

def start(n, rate, data):
    pos = [0]

    def callback(outdata, frames, time_info, status):
        need = len(outdata)
        chunk = data[pos[0] : pos[0] + need]
        pos[0] += need
        outdata[: len(chunk)] = chunk
        if len(chunk) < need:
            outdata[len(chunk) :] = bytes(need - len(chunk))
            raise sd.CallbackStop

    stream = sd.RawOutputStream(samplerate=rate, channels=1, dtype="float32", latency=LATENCY, device=DEVICE,
                                callback=callback, finished_callback=lambda: finish(n))
    state["n"], state["stream"] = n, stream
    stream.start()

print("READY", flush=True)
inp = sys.stdin.buffer
while True:
    line = inp.readline()
    if not line:
        break
    cmd = line.split()
    if cmd[0] == b"PLAY":
        n, rate, size = int(cmd[1]), int(cmd[2]), int(cmd[3])
        # A new stream's first buffer can be lost (PulseAudio's ALSA plugin) and
        # the stream ends before its buffer has drained: silence on both sides.
        pad = bytes(4 * int(LATENCY * rate))
        data = pad + inp.read(size) + pad + bytes(4096)
        stop()
        try:
            start(n, rate, data)
        except Exception as exc:
            state["n"] = None
            say("ERROR %d %s" % (n, str(exc).replace(chr(10), " ")))
    elif cmd[0] == b"STOP":
        stop()
stop()
"""


class Player:
    """Playback in a process of its own (``PLAYER_SOURCE``): ``play`` sends
    the samples and returns; ``playing``/``wait``/``stop`` follow it."""

    def __init__(self, device=None) -> None:
        import subprocess
        import sys
        import threading

        self.device = device
        dev = "-" if device in (None, "") else str(device) if str(device).isdigit() else str(device).encode().hex()
        self._proc = subprocess.Popen([sys.executable, "-c", PLAYER_SOURCE, dev], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self._cond = threading.Condition()
        self._ready = False
        self._n = 0
        self._playing: int | None = None
        self.error: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True, name="player")
        self._reader.start()

    def _read(self) -> None:
        for raw in self._proc.stdout:
            parts = raw.decode(errors="replace").rstrip("\n").split(" ", 2)
            with self._cond:
                if parts[0] == "READY":
                    self._ready = True
                elif parts[0] in ("DONE", "ERROR") and len(parts) > 1:
                    if self._playing == int(parts[1]):
                        self._playing = None
                    if parts[0] == "ERROR":
                        self.error = parts[2] if len(parts) > 2 else "playback failed"
                self._cond.notify_all()
        with self._cond:  # the process ended
            self._playing = None
            self.error = self.error or "the playback process ended"
            self._cond.notify_all()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: self._ready or self.error is not None, timeout)
            return self._ready and self.error is None

    def play(self, samples: np.ndarray, rate: int, blocking: bool = True) -> None:
        if not self.wait_ready():
            raise AudioDeviceError(f"cannot play audio: {self.error or 'the playback process did not start'}",
                                   hint="Check the speaker.", step=Step("no_speak"))
        data = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1).tobytes()
        with self._cond:
            self._n += 1
            self._playing = n = self._n
            self.error = None
        try:
            self._proc.stdin.write(f"PLAY {n} {int(rate)} {len(data)}\n".encode() + data)
        except (BrokenPipeError, OSError) as exc:
            raise AudioDeviceError(f"cannot play audio: {exc}", hint="Check the speaker.", step=Step("no_speak")) from exc
        if blocking:
            self.wait()
        if self.error:
            raise AudioDeviceError(f"cannot play audio: {self.error}", hint="Check the speaker.", step=Step("no_speak"))

    def playing(self) -> bool:
        with self._cond:
            return self._playing is not None

    def wait(self) -> None:
        try:
            with self._cond:
                while self._playing is not None:
                    self._cond.wait(0.1)
        except KeyboardInterrupt:
            self.stop()
            raise

    def stop(self) -> None:
        try:
            self._proc.stdin.write(b"STOP\n")
        except (BrokenPipeError, OSError):
            pass
        with self._cond:
            self._cond.wait_for(lambda: self._playing is None, 2.0)
            self._playing = None

    def close(self) -> None:
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=2)
        except Exception:  # noqa: BLE001
            self._proc.kill()


_PLAYER: Player | None = None


def start_player(device=None) -> Player | None:
    """Start the playback process ahead of time (it takes a few tenths of a
    second): later ``play`` calls go through it. ``VOICECOACH_PLAYER=inline``
    plays in this process instead (a daemonless file device, whose capture
    runs faster than real time, has no timing for two processes to share)."""
    global _PLAYER
    if os.environ.get("VOICECOACH_PLAYER", "process") == "inline":
        return None
    if _PLAYER is None:
        import atexit

        _PLAYER = Player(device)
        atexit.register(_PLAYER.close)
    return _PLAYER


def play(samples: np.ndarray, rate: int, device=None, blocking: bool = True) -> None:
    """Play (by default until done); Ctrl-C stops the sound and propagates.
    With ``blocking=False`` it returns at once: ``wait_playback()`` or
    ``stop_playback()`` later. Through the player process once
    ``start_player`` ran, else in this process."""
    if _PLAYER is not None:
        try:
            _PLAYER.play(samples, rate, blocking=blocking)
        except KeyboardInterrupt:
            _PLAYER.stop()
            raise
        return
    sd = _sd()
    try:
        sd.play(np.asarray(samples, dtype=np.float32), rate, device=_device(device), latency="high")
        if blocking:
            sd.wait()
    except KeyboardInterrupt:
        sd.stop()
        raise
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot play audio: {exc}", hint="Check the speaker.", step=Step("no_speak")) from exc


def playing() -> bool:
    """True while a sound started with ``play(blocking=False)`` is still playing."""
    if _PLAYER is not None:
        return _PLAYER.playing()
    sd = _sd()
    try:
        return bool(sd.get_stream().active)
    except RuntimeError:  # nothing was ever played
        return False


def wait_playback() -> None:
    if _PLAYER is not None:
        _PLAYER.wait()
        return
    sd = _sd()
    try:
        sd.wait()
    except KeyboardInterrupt:
        sd.stop()
        raise


def stop_playback() -> None:
    if _PLAYER is not None:
        _PLAYER.stop()
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
    at once, for a microphone whose blocks arrive over a network)."""
    sd = _sd() if mic is None else None  # a microphone given (a browser's) needs no PortAudio
    port_error = sd.PortAudioError if sd is not None else ()
    writer = WavWriter(path, SAMPLE_RATE, sync_every=sync_every)
    reason = "time_limit"
    last_audio = time.monotonic()
    pending = [np.asarray(b, dtype=np.float32) for b in preroll]
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
                    if endpointer.feed(chunk):
                        reason = "silence"
                        break
                    level = 20 * np.log10(float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) + 1e-9)
                else:
                    level = -120.0
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
