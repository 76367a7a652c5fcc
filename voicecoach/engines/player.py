"""The interviewer's voice in a process of its own (see PLAYER_SOURCE)."""

from __future__ import annotations

import os

import numpy as np

from voicecoach.errors import AudioDeviceError, Step

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
# A cue (the end tone: a sound this short) plays with a shallow buffer: its
# first sound comes 0.10 s after it is asked for instead of 0.24 s (on the
# virtual PulseAudio), and a late callback could only shorten a beep, not put
# a gap in a sentence. 0.04-0.08 s lost all or most of the beep now and then
# (tests/test_duplex.py). A sound sent with "quick" (the first words after
# an answer, which must come soon) plays with it too: this process only plays,
# so a CPU busy transcribing makes it wait a few milliseconds, not 0.1 s
# (bench/turn_e2e.py measures the gaps).
CUE_S, CUE_LATENCY = 0.5, 0.1
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

def start(n, rate, sound, latency):
    pos = [0]

    def callback(outdata, frames, time_info, status):
        need = len(outdata)
        chunk = data[pos[0] : pos[0] + need]
        pos[0] += need
        outdata[: len(chunk)] = chunk
        if len(chunk) < need:
            outdata[len(chunk) :] = bytes(need - len(chunk))
            raise sd.CallbackStop

    stream = sd.RawOutputStream(samplerate=rate, channels=1, dtype="float32", latency=latency, device=DEVICE,
                                callback=callback, finished_callback=lambda: finish(n))
    # A new stream's first buffer can be lost (PulseAudio's ALSA plugin):
    # silence in front, as long as the buffer the device gave (it may be
    # deeper than asked). And the stream ends before its buffer has drained:
    # silence after, never less than the deep buffer's (a cue's shallow
    # buffer lost all but 0.02 s of the end tone with a shorter one).
    lead = max(latency, stream.latency or 0.0)
    data = bytes(4 * int(lead * rate)) + sound + bytes(4 * int(max(lead, LATENCY) * rate)) + bytes(4096)
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
        quick = cmd[4:5] == [b"quick"]  # asked for: the first words after an answer
        sound = inp.read(size)
        stop()
        try:
            start(n, rate, sound, CUE_LATENCY if quick or size < 4 * CUE_S * rate else LATENCY)
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

    def play(self, samples: np.ndarray, rate: int, blocking: bool = True, quick: bool = False) -> None:
        """``quick``: a shallow buffer (see CUE_LATENCY), for a sound whose
        first moment matters more than a margin against a late callback."""
        if not self.wait_ready():
            raise AudioDeviceError(f"cannot play audio: {self.error or 'the playback process did not start'}",
                                   hint="Check the speaker.", step=Step("no_speak"))
        data = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1).tobytes()
        with self._cond:
            self._n += 1
            self._playing = n = self._n
            self.error = None
        try:
            self._proc.stdin.write(f"PLAY {n} {int(rate)} {len(data)}{' quick' if quick else ''}\n".encode() + data)
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


def current_player() -> Player | None:
    """The playback process, once ``start_player`` ran (else None: play here)."""
    return _PLAYER


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
