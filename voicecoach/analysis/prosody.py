"""The voice from the waveform: silences, pitch and loudness. numpy/scipy only.

Input is 16 kHz mono float32, as everywhere in voicecoach. Three measures:

- ``silences``: where the recording is quiet, from frame energy relative to the
  recording's own noise floor and speech level (no absolute thresholds, so it
  works for a quiet laptop mic and a loud headset alike);
- ``pitch_track``: a YIN f0 estimate per 40 ms frame (de Cheveigne & Kawahara
  2002), vectorised with FFTs;
- ``measure_voice``: pitch variation in semitones and loudness variation in dB
  over voiced frames, with the "monotone" and "flat" verdicts.
"""

from __future__ import annotations

import numpy as np

from voicecoach.models import Voice

SAMPLE_RATE = 16000

# ---------------------------------------------------------------- silences

BLOCK_S = 0.010  # energy resolution for silences: pause edges to within 10 ms
MIN_DYNAMIC_RANGE_DB = 20.0  # speech vs floor; below this, silences cannot be told from speech
FLOOR_MARGIN_DB = 9.0  # "silent" = within this of the noise floor...
SPEECH_MARGIN_DB = 40.0  # ...and at least this far below the speech level
CLICK_S = 0.04  # sound bursts shorter than this inside silence (clicks, lip smacks) stay silence


def _block_db(audio: np.ndarray, block: int) -> np.ndarray:
    n = len(audio) // block
    if n == 0:
        return np.zeros(0)
    x = audio[: n * block].reshape(n, block)
    return 10 * np.log10(_mean_square(x) + 1e-12)


def _mean_square(rows: np.ndarray) -> np.ndarray:
    """Mean square of each row, in float64, a few thousand rows at a time (a
    long answer's frames are never all copied to float64 at once)."""
    out = np.empty(len(rows))
    for i in range(0, len(rows), 4096):
        x = rows[i : i + 4096].astype(np.float64)
        out[i : i + 4096] = np.mean(x * x, axis=1)
    return out


def _silence_threshold(db: np.ndarray) -> float | None:
    """dB level below which a frame is silence, or None if the recording has
    too little dynamic range (steady noise, or no pauses at all)."""
    if len(db) < 10:
        return None
    floor, speech = np.percentile(db, 5), np.percentile(db, 95)
    if speech - floor < MIN_DYNAMIC_RANGE_DB:
        return None
    return float(max(floor + FLOOR_MARGIN_DB, speech - SPEECH_MARGIN_DB))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is True."""
    if len(mask) == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def silences(audio: np.ndarray, sr: int = SAMPLE_RATE, min_s: float = 0.1) -> list[tuple[float, float]] | None:
    """Silent stretches of at least ``min_s`` as (start, end) seconds, or None
    when the recording's energy does not separate speech from silence."""
    block = int(round(BLOCK_S * sr))
    db = _block_db(np.asarray(audio, dtype=np.float32).reshape(-1), block)
    thr = _silence_threshold(db)
    if thr is None:
        return None
    silent = db < thr
    for a, b in _runs(~silent):  # bridge clicks inside silence
        if a > 0 and b < len(silent) and (b - a) * BLOCK_S < CLICK_S:
            silent[a:b] = True
    return [(round(a * BLOCK_S, 3), round(b * BLOCK_S, 3)) for a, b in _runs(silent) if (b - a) * BLOCK_S >= min_s - 1e-9]


# ------------------------------------------------------------------- pitch

FRAME_S = 0.040  # 40 ms analysis frame: 2.4 periods at the lowest f0
HOP_S = 0.020  # 50 frames a second
F0_MIN, F0_MAX = 60.0, 400.0  # adult speaking voices
YIN_THRESHOLD = 0.15  # first dip of the normalised difference below this is the period
MAX_APERIODICITY = 0.3  # frames whose best dip is above this are unvoiced (noise, fricatives)
CHUNK_FRAMES = 2000  # frames per FFT batch, to bound memory on long answers


def _yin(frames: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """f0 (Hz) and aperiodicity (CMNDF at the chosen lag) for each frame."""
    n = frames.shape[1]
    tau_min, tau_max = int(sr / F0_MAX), int(np.ceil(sr / F0_MIN))
    w = n - tau_max  # integration window
    nfft = 1 << int(np.ceil(np.log2(n)))
    x = frames.astype(np.float64)
    acf = np.fft.irfft(np.fft.rfft(x, nfft) * np.conj(np.fft.rfft(x[:, :w], nfft)), nfft)[:, : tau_max + 1]
    cs = np.concatenate([np.zeros((len(x), 1)), np.cumsum(x * x, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy = cs[:, taus + w] - cs[:, taus]
    d = np.maximum(cs[:, [w]] + energy - 2 * acf, 0.0)
    cum = np.cumsum(d[:, 1:], axis=1)
    cmndf = np.ones_like(d)
    cmndf[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)
    # the first local minimum below the threshold, else the global minimum
    c = cmndf[:, tau_min - 1 : tau_max + 1]
    mid = c[:, 1:-1]
    dips = (mid < c[:, :-2]) & (mid <= c[:, 2:]) & (mid < YIN_THRESHOLD)
    has = dips.any(axis=1)
    tau = np.where(has, np.argmax(dips, axis=1), np.argmin(mid, axis=1)) + tau_min
    rows = np.arange(len(x))
    # parabolic interpolation around the chosen lag
    a, b, cc = cmndf[rows, tau - 1], cmndf[rows, tau], cmndf[rows, np.minimum(tau + 1, tau_max)]
    denom = a - 2 * b + cc
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - cc) / np.where(denom == 0, 1, denom), 0.0)
    return sr / (tau + np.clip(shift, -1, 1)), b


def pitch_track(audio: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 40 ms frame (20 ms hop): times (frame centres, s), f0 in Hz (NaN
    where unvoiced or silent) and RMS level in dB."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    n, hop = int(FRAME_S * sr), int(HOP_S * sr)
    if len(audio) < n:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(audio, n)[::hop]
    rms_db = 10 * np.log10(_mean_square(frames) + 1e-12)
    f0 = np.full(len(frames), np.nan)
    thr = _silence_threshold(_block_db(audio, int(BLOCK_S * sr)))
    # frames must be clearly above the floor to be voiced (a steady tone has no floor: all frames count)
    loud = rms_db > (thr if thr is not None else -90.0)
    for i in range(0, len(frames), CHUNK_FRAMES):
        sel = np.flatnonzero(loud[i : i + CHUNK_FRAMES]) + i
        if len(sel) == 0:
            continue
        est, aper = _yin(frames[sel], sr)
        ok = (aper < MAX_APERIODICITY) & (est >= F0_MIN) & (est <= F0_MAX)
        f0[sel[ok]] = est[ok]
    times = (np.arange(len(frames)) * hop + n / 2) / sr
    return times, _fix_octaves(f0), rms_db


def _fix_octaves(f0: np.ndarray) -> np.ndarray:
    """Fold isolated octave jumps (YIN's usual error) back towards the local
    median; real intonation rarely moves a full octave between neighbours."""
    out = f0.copy()
    voiced = np.flatnonzero(~np.isnan(f0))
    if len(voiced) < 5:
        return out
    st = 12 * np.log2(f0[voiced])
    k = 7
    pad = np.pad(st, k // 2, mode="edge")
    med = np.median(np.lib.stride_tricks.sliding_window_view(pad, k), axis=1)
    dev = st - med
    fold = np.abs(np.abs(dev) - 12) < 3
    st[fold] -= 12 * np.sign(dev[fold])
    out[voiced] = 2 ** (st / 12)
    return out


# ------------------------------------------------------------------- voice

PITCH_WINDOW_S = 8.0  # pitch spread is measured within windows, so slow drift over the answer does not count
MIN_VOICED_FRAMES = 25  # half a second of voicing before a window's spread means anything
MONOTONE_ST = 2.0  # below this spread (semitones) a voice sounds monotone
FLAT_DB = 3.0  # below this loudness spread (dB) a voice sounds flat


def measure_voice(audio: np.ndarray, sr: int = SAMPLE_RATE) -> Voice | None:
    """Pitch and loudness variation over voiced frames; None if there is too
    little voicing to measure (under half a second)."""
    times, f0, rms_db = pitch_track(audio, sr)
    voiced = ~np.isnan(f0)
    if voiced.sum() < MIN_VOICED_FRAMES:
        return None
    st = 12 * np.log2(f0[voiced] / 100.0)
    t = times[voiced]
    spreads = []
    for w in np.unique(np.floor(t / PITCH_WINDOW_S)):
        s = st[np.floor(t / PITCH_WINDOW_S) == w]
        if len(s) >= MIN_VOICED_FRAMES:
            spreads.append(float(np.std(s)))
    pitch_var = float(np.median(spreads)) if spreads else float(np.std(st))
    loud_var = float(np.std(rms_db[voiced]))
    return Voice(
        pitch_median_hz=round(float(np.median(f0[voiced])), 1),
        pitch_variation_st=round(pitch_var, 2),
        monotone=pitch_var < MONOTONE_ST,
        loudness_variation_db=round(loud_var, 2),
        flat=loud_var < FLAT_DB,
        voiced_s=round(float(voiced.sum()) * HOP_S, 2),
    )


# ------------------------------------------------------------ final lowering

FINAL_FRAMES = 8  # the last 160 ms of voicing before a pause
MIN_CONTEXT_FRAMES = 25  # half a second of voicing to know the speaker's usual pitch


def final_pitch_ratio(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float | None:
    """The pitch of the last 160 ms of voicing over the speaker's median
    pitch in ``audio`` (the last seconds before a pause). A statement that
    ends falls to the bottom of the speaker's range (final lowering); a
    clause cut by a pause usually stays level. None: too little voicing."""
    _, f0, _ = pitch_track(audio, sr)
    voiced = f0[~np.isnan(f0)]
    if len(voiced) < MIN_CONTEXT_FRAMES:
        return None
    return float(np.median(voiced[-FINAL_FRAMES:]) / np.median(voiced))
