"""Follow-up questions written by the LLM judge's model (when one is
configured); the interview falls back to the card-based follow-up."""

from __future__ import annotations

import json

from voicecoach.errors import LLMError
from voicecoach.engines.llm import ChatClient
from voicecoach.models import AttemptResult, Card
from voicecoach.content.prompts import load_prompt

SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]}


def llm_follow_up(client: ChatClient, persona: str):
    prompt = load_prompt("followup")

    def write(card: Card, result: AttemptResult) -> str | None:
        missed = next((k.key_point for k in result.key_points if k.verdict == "missing"), None) or \
            next((k.key_point for k in result.key_points if k.verdict == "partial"), None)
        if missed is None:
            return None
        answer = result.transcript.text.replace("<<<ANSWER", " ").replace("ANSWER>>>", " ")
        try:
            reply = client.complete(prompt.render(card=card, missed=missed, answer=answer, persona=persona), SCHEMA, "follow_up")
            question = str(json.loads(reply).get("question", "")).strip()
        except (LLMError, ValueError, AttributeError):
            return None
        return question if 5 <= len(question.split()) <= 40 else None

    return write
