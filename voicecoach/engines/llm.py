"""litellm adapter: the only module that imports litellm. Imported lazily (it
takes seconds), with the network fetch of litellm's model-cost map turned off.
Every provider failure is mapped to LLMError with a reason and a hint; API keys
never appear in messages."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from typing import Protocol

from voicecoach.errors import LLMError, Step

_KEY_RX = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|key-[A-Za-z0-9_\-]{6,}|AIza[0-9A-Za-z_\-]{10,}|(?<=api_key=)[^&\s'\"]+|Bearer\s+[A-Za-z0-9._\-]+)")


def redact(text: str) -> str:
    """Remove anything that looks like an API key, and the values of any
    *_API_KEY variables in the environment."""
    text = _KEY_RX.sub("[redacted]", text)
    for k, v in os.environ.items():
        if k.endswith(("_API_KEY", "_TOKEN", "_SECRET")) and v and len(v) >= 6:
            text = text.replace(v, "[redacted]")
    return text


def _litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    try:
        import litellm
    except ImportError as exc:
        raise LLMError("litellm is not installed", hint="pip install litellm", reason="error") from exc
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY", "groq": "GROQ_API_KEY", "mistral": "MISTRAL_API_KEY"}
# Sent to a server at --api-base when no key is set: local servers (llama.cpp,
# LM Studio, vLLM, Ollama) need none, but the OpenAI client refuses to send
# a request without one.
NO_KEY = "no-key-needed"


def key_var(model: str) -> str:
    provider = model.split("/")[0] if "/" in model else "openai"
    return KEY_VARS.get(provider, "the provider's API key variable")


def needs_no_key(model: str, api_base: str) -> bool:
    """A server given by --api-base, with no key in the environment for the
    model's provider: send a placeholder instead of failing with 'no API key'."""
    var = key_var(model)
    return bool(api_base) and not (var in KEY_VARS.values() and os.environ.get(var))


class ChatClient(Protocol):
    def complete(self, messages: list[dict], schema: dict, schema_name: str) -> str:
        """The reply's text (expected to be JSON)."""


@dataclass
class LiteLLMClient:
    model: str
    api_base: str = ""
    api_key: str = ""
    timeout_s: float = 30.0
    # Rate limits and server errors are retried with backoff within this budget.
    retry_budget_s: float = 20.0
    max_tries: int = 3
    mock_response: object | None = None  # litellm's own test hook

    def complete(self, messages: list[dict], schema: dict, schema_name: str = "reply") -> str:
        litellm = _litellm()
        kwargs = dict(
            model=self.model,
            messages=messages,
            temperature=0,
            timeout=self.timeout_s,
            num_retries=0,
            response_format={"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema, "strict": False}},
        )
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif needs_no_key(self.model, self.api_base):
            kwargs["api_key"] = NO_KEY
        if self.mock_response is not None:
            kwargs["mock_response"] = self.mock_response
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = litellm.completion(**kwargs)
                content = resp.choices[0].message.content
                if not content:
                    raise LLMError(f"{self.model} returned an empty reply", reason="bad_reply")
                return content
            except LLMError:
                raise
            except Exception as exc:  # litellm raises provider-specific classes
                err = map_exception(exc, self.model)
                retryable = err.reason in ("rate_limit", "server")
                delay = min(8.0, 1.0 * 2 ** (attempt - 1))
                if retryable and attempt < self.max_tries and time.monotonic() - started + delay < self.retry_budget_s:
                    time.sleep(delay)
                    continue
                raise err from None


def map_exception(exc: Exception, model: str) -> LLMError:
    """litellm raises different classes for the same failure on different
    providers; turn them into one reason with an actionable hint."""
    name = type(exc).__name__
    msg = redact(str(exc))
    low = msg.lower()
    status = getattr(exc, "status_code", None)
    key_var_name = key_var(model)
    if "missing credentials" in low or "api_key" in low and ("must be set" in low or "missing" in low) or "no api key" in low:
        return LLMError(f"no API key for {model}", hint=f"Set {key_var_name}.", reason="no_key", step=Step("offline_judge"))
    if name == "AuthenticationError" or status == 401 or status == 403:
        return LLMError(f"the API key for {model} was rejected", hint=f"Check {key_var_name}.", reason="auth")
    if name in ("Timeout", "APITimeoutError") or "timed out" in low or "timeout" in name.lower():
        return LLMError(f"{model} did not answer in time", hint="Try again, raise VOICECOACH_LLM_TIMEOUT, or use the offline judge.", reason="timeout")
    if name == "RateLimitError" or status == 429:
        return LLMError(f"{model} is rate-limiting requests", hint="Wait a minute and rescore, or use the offline judge.", reason="rate_limit")
    if name == "APIConnectionError" and ("connect" in low or "refused" in low or "resolve" in low or "network" in low) or "connection refused" in low or "connecterror" in low or "connection error" in low:
        return LLMError(f"cannot reach the server for {model}", hint="Check the network, the server's address and that the server is running.", reason="connection", step=Step("api_base"))
    if name in ("NotFoundError",) or status == 404:
        return LLMError(f"model {model!r} was not found by the provider", hint="Check the model name (litellm's 'provider/model' form).", reason="not_found")
    if name in ("InternalServerError", "ServiceUnavailableError", "BadGatewayError") or (status and status >= 500):
        return LLMError(f"the provider for {model} had a server error", hint="Try again later, or use the offline judge.", reason="server")
    if name == "APIConnectionError":
        return LLMError(f"cannot reach the server for {model}: {msg[:200]}", hint="Check the network and the server's address.", reason="connection", step=Step("api_base"))
    return LLMError(f"the LLM call to {model} failed ({name}): {msg[:200]}", reason="error")


def preflight(model: str, api_base: str = "") -> list[tuple[str, bool, str]]:
    """Checks that spend no tokens: keys present (litellm's own check), and the
    endpoint reachable when one is configured."""
    checks: list[tuple[str, bool, str]] = []
    if needs_no_key(model, api_base) or model.startswith(("ollama/", "ollama_chat/")):
        checks.append(("API key", True, "not needed (a server at --api-base or Ollama)"))
        return checks + _endpoint_check(api_base)
    litellm = _litellm()
    try:
        env = litellm.validate_environment(model=model)
        missing = env.get("missing_keys") or []
        ok = bool(env.get("keys_in_environment")) or (not missing)
        checks.append(("API key", ok, "present" if ok else "missing: " + ", ".join(missing)))
    except Exception as exc:
        checks.append(("API key", False, redact(str(exc))[:200]))
    return checks + _endpoint_check(api_base)


def _endpoint_check(api_base: str) -> list[tuple[str, bool, str]]:
    if not api_base:
        return []
    import urllib.error
    import urllib.request

    url = api_base.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return [("endpoint", True, f"{api_base} answered {r.status}")]
    except urllib.error.HTTPError as exc:
        return [("endpoint", exc.code < 500, f"{api_base} answered {exc.code}")]
    except (urllib.error.URLError, OSError) as exc:
        return [("endpoint", False, f"{api_base} unreachable: {getattr(exc, 'reason', exc)}")]


def json_body(text: str):
    """A model's reply as JSON (a ```json fence around it allowed); ValueError
    with where it broke, for the repair prompt."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
