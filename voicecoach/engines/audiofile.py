"""Audio files: read any answer file (soundfile/libsndfile: WAV, FLAC, MP3, OGG)
as 16 kHz mono float32, and write WAV incrementally so a crash keeps what was
recorded."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from voicecoach.errors import AudioFileError

SAMPLE_RATE = 16000
# Longest answer file we accept: 30 minutes (about 115 MB as float32 at 16 kHz).
MAX_FILE_SECONDS = 30 * 60


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    if rate == target:
        return samples.astype(np.float32, copy=False)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(samples, target // g, rate // g).astype(np.float32)


def read_audio(path: str | Path, max_seconds: float = MAX_FILE_SECONDS) -> np.ndarray:
    """Decode an audio file to 16 kHz mono float32. Raises AudioFileError with
    a message that says what is wrong with the file."""
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"answer file not found: {path}")
    if path.is_dir():
        raise AudioFileError(f"{path} is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path} is empty (0 bytes)", hint="Record the answer again or pass another file.")
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioFileError(
            f"{path} is not a readable audio file ({exc})",
            hint="Use WAV, FLAC, MP3 or OGG; convert other formats with e.g. 'ffmpeg -i in.m4a out.wav'.",
        ) from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioFileError(f"{path} holds no audio samples")
    if info.duration > max_seconds:
        raise AudioFileError(
            f"{path} is {info.duration / 60:.0f} minutes long; the limit is {max_seconds / 60:.0f} minutes",
            hint="Trim the file to the answer itself.",
        )
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioFileError(f"{path} could not be decoded, it may be truncated or corrupt ({exc})") from exc
    if data.size == 0:
        raise AudioFileError(f"{path} holds no audio samples")
    mono = data.mean(axis=1)
    return resample(mono, rate)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    samples = np.asarray(samples).reshape(-1)
    with WavWriter(path, rate) as w:
        for i in range(0, len(samples), rate * 30):  # in blocks: no float64 copy of a long answer
            w.write(samples[i : i + rate * 30])
    return Path(path)


class WavWriter:
    """16-bit mono WAV written as it records. The header's sizes are patched
    every ``sync_every`` writes and on close, so the file on disk is always a
    valid WAV holding (almost) everything recorded so far."""

    def __init__(self, path: str | Path, rate: int = SAMPLE_RATE, sync_every: int = 16) -> None:
        self.path = Path(path)
        self.rate = rate
        self.frames = 0
        self.sync_every = sync_every
        self._writes = 0
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._f = os.fdopen(fd, "wb")
            self._f.write(self._header(0))
            self._f.flush()
        except OSError as exc:
            raise _write_error(self.path, exc) from exc

    def _header(self, data_bytes: int) -> bytes:
        return b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack(
            "<IHHIIHH", 16, 1, 1, self.rate, self.rate * 2, 2, 16
        ) + b"data" + struct.pack("<I", data_bytes)

    def write(self, samples: np.ndarray) -> None:
        scaled = np.round(np.asarray(samples, dtype=np.float64).reshape(-1) * 32768.0)
        pcm = np.clip(scaled, -32768, 32767).astype("<i2")  # exact for audio that came in as int16
        try:
            self._f.write(pcm.tobytes())
            self.frames += len(pcm)
            self._writes += 1
            if self._writes % self.sync_every == 0:
                self.sync()
        except OSError as exc:
            raise _write_error(self.path, exc) from exc

    def sync(self) -> None:
        pos = self._f.tell()
        self._f.seek(0)
        self._f.write(self._header(self.frames * 2))
        self._f.seek(pos)
        self._f.flush()
        os.fsync(self._f.fileno())

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate

    def close(self) -> None:
        if not self._f.closed:
            try:
                self.sync()
            except OSError:
                pass  # the error was reported when the write failed
            finally:
                try:
                    self._f.close()
                except OSError:
                    pass

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_error(path: Path, exc: OSError):
    from voicecoach.errors import StoreError

    return StoreError(f"cannot write audio to {path}: {exc.strerror or exc}",
                      hint="Is the disk full or read-only? Free some space or set VOICECOACH_HOME to another disk.")
