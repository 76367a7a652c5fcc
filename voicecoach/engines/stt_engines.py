"""Which speech-to-text engine: faster-whisper (the default, stt.py) or
openai-whisper (stt_openai.py). Apart from both, so neither imports the other."""

from __future__ import annotations

from pathlib import Path

from voicecoach.errors import TranscriptionError
from voicecoach.engines.stt import FasterWhisperTranscriber, Transcriber


def make_transcriber(engine: str, model: str, beam_size: int = 5, keep_fillers: bool = True, cache_dir: Path | None = None) -> Transcriber:
    if engine in ("faster-whisper", "faster_whisper"):
        return FasterWhisperTranscriber(model, beam_size=beam_size, keep_fillers=keep_fillers, cache_dir=cache_dir)
    if engine in ("openai-whisper", "whisper"):
        from voicecoach.engines.stt_openai import OpenAIWhisperTranscriber

        return OpenAIWhisperTranscriber(model, keep_fillers=keep_fillers, cache_dir=cache_dir)
    raise TranscriptionError(f"unknown speech-to-text engine {engine!r}", hint="Use faster-whisper or openai-whisper.")
