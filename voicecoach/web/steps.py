"""An error's next step (errors.Step), worded for the page."""

from __future__ import annotations


def step_link(step) -> tuple[str, str]:
    """An error's next step (errors.Step), worded for the page: (text, link)."""
    if step is None:
        return "", ""
    v = step.values
    links = {
        "rescore": ("Open the saved attempt", f"/attempts/{v.get('attempt_id')}"),
        "report_session": ("See your earlier answers", "/history"),
        "score_file": ("Open your history", "/history"),
        "no_speak": ("Practise with the sound off", "/practice?speak=0"),
        "no_device": ("Type your answer instead", "/practice?mode=type"),
        "repair": ("See what can still be read", "/history"),
        "list_devices": ("Check the microphone and speaker in your browser's site settings", ""),
        "list_voices": ("Choose another voice", "/practice"),
        "list_questions": ("Browse the question cards", "/cards"),
        "list_history": ("See your history", "/history"),
        "type_answer": ("Type your answer instead", "/practice?mode=type"),
        "offline_judge": ("Use the offline judge: restart with voicecoach serve --offline", ""),
        "api_base": ("Check the server's address (voicecoach serve --api-base)", ""),
    }
    return links.get(step.kind, ("", ""))


def web_hint(exc) -> str:
    """An error's hint with its next step worded for the page."""
    return " ".join(p for p in (exc.hint or "", step_link(getattr(exc, "step", None))[0]) if p)
