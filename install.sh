#!/usr/bin/env bash
# Set up voicecoach in ./.venv (idempotent; safe to run again).
#   bash install.sh          what a user needs to practise
#   bash install.sh --dev    plus test tools, virtual audio devices and test audio
set -euo pipefail
cd "$(dirname "$0")"

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

# --- system packages (Debian/Ubuntu) ------------------------------------------
# espeak-ng: the interviewer's voice (pyttsx3); libportaudio2: microphone and
# speaker (sounddevice); libsndfile1: audio files (soundfile).
APT_PKGS=(espeak-ng libportaudio2 libsndfile1)
# Tests: a private PulseAudio with virtual devices, ALSA plugins, real human
# speech with reference texts (asterisk prompts), sox.
[[ $DEV == 1 ]] && APT_PKGS+=(pulseaudio pulseaudio-utils libasound2-plugins alsa-utils asterisk-core-sounds-en-wav asterisk-core-sounds-en sox chromium)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    SUDO=""; [[ $(id -u) != 0 ]] && SUDO="sudo"
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "note: not a Debian/Ubuntu system; install espeak-ng and PortAudio yourself" >&2
fi

# --- Python ------------------------------------------------------------------
PY=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip -q --disable-pip-version-check)
"${PIP[@]}" install "pip==26.3" >/dev/null  # the installer, pinned too
# Exact versions from the lock files (requirements/*.lock; refresh them with
# `bash requirements/lock.sh`), then voicecoach itself without re-resolving.
if [[ $DEV == 1 ]]; then
  # torch first, pinned, so nothing else pulls a different (multi-GB CUDA)
  # build; only openai-whisper, the alternative speech engine, needs it.
  "${PIP[@]}" install "torch==2.13.0"
  "${PIP[@]}" install -r requirements/dev.lock
  "${PIP[@]}" install --no-deps -e .
  # openai-whisper (tests/test_stt_openai.py) --no-deps: on x86-64 Linux it
  # depends on triton (~1 GB, GPU only); its other dependencies are in the lock.
  "${PIP[@]}" install --no-deps "openai-whisper==20250625"
else
  "${PIP[@]}" install -r requirements/main.lock
  "${PIP[@]}" install --no-deps -e .
fi
# The end-of-turn model (Smart Turn v3.2, BSD-2-Clause) ships only inside
# pipecat-ai; voicecoach reads that one ONNX file and never imports pipecat,
# so it is installed without its (long) dependency list.
"${PIP[@]}" install --no-deps "pipecat-ai==1.14.0"
echo "voicecoach is installed in $(pwd)/.venv"
