"""Which judge to use: a named model, the offline judge, or (``auto``) a local
model server that is already running.

Detection asks each candidate address for its model list at once (Ollama:
``GET /api/tags``; OpenAI-compatible servers such as llama.cpp's and LM
Studio's: ``GET /v1/models``) and waits at most ``BUDGET_S`` in all: when
nothing listens, a refused connection answers in well under a millisecond.
Addresses are a setting (``local_servers``) so tests can point them at fake
servers."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from voicecoach.errors import UsageError

# kind@host:port, in order of preference: Ollama, llama.cpp's server, LM Studio.
DEFAULT_PROBES = "ollama@127.0.0.1:11434,openai@127.0.0.1:8080,openai@127.0.0.1:1234"
BUDGET_S = 0.3  # total wait when something listens but is slow; nothing listening costs ~1 ms
SUGGESTED = "qwen2.5:7b-instruct"
BETTER_JUDGE_HINT = (f"For a better judge, run a local model: install Ollama (ollama.com), then `ollama pull {SUGGESTED}`; "
                     "voicecoach finds it while it runs. Or set the judge's model (e.g. gpt-4o-mini with OPENAI_API_KEY).")
# Models a server may list that cannot grade an answer.
NOT_CHAT = ("embed", "rerank", "whisper", "tts", "bge-", "e5-", "minilm")


@dataclass(frozen=True)
class LocalServer:
    kind: str  # "ollama" or "openai" (an OpenAI-compatible server)
    address: str  # host:port
    models: tuple[str, ...]

    @property
    def label(self) -> str:
        return "Ollama" if self.kind == "ollama" else "an OpenAI-compatible server"

    @property
    def model_name(self) -> str:
        chat = [m for m in self.models if not any(s in m.lower() for s in NOT_CHAT)]
        preferred = [m for m in chat if any(s in m.lower() for s in ("instruct", "chat", "-it", ":it"))]
        return (preferred or chat)[0]

    @property
    def model(self) -> str:
        """The model in litellm's provider/name form."""
        return ("ollama_chat/" if self.kind == "ollama" else "openai/") + self.model_name

    @property
    def api_base(self) -> str:
        return f"http://{self.address}" + ("" if self.kind == "ollama" else "/v1")

    @property
    def note(self) -> str:
        return f"Judged by {self.model_name}, on {self.label} found running at {self.address} (set model to 'offline' to use the offline judge)."


def parse_probes(text: str) -> list[tuple[str, str]]:
    """"ollama@127.0.0.1:11434,openai@127.0.0.1:8080" -> [(kind, host:port)];
    "" or "none" -> no probes."""
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item or item.lower() == "none":
            continue
        kind, _, address = item.rpartition("@")
        kind = kind or "openai"
        if kind not in ("ollama", "openai") or ":" not in address:
            raise UsageError(f"bad local server {item!r} in local_servers", hint="Use ollama@HOST:PORT or openai@HOST:PORT, comma-separated, or none.")
        out.append((kind, address))
    return out


def _models(kind: str, address: str, timeout: float) -> tuple[str, ...] | None:
    url = f"http://{address}" + ("/api/tags" if kind == "ollama" else "/v1/models")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - a local http URL built here
            data = json.loads(r.read(1 << 20) or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    try:
        if kind == "ollama":
            names = [m.get("model") or m["name"] for m in data["models"]]
        else:
            names = [m["id"] for m in data["data"]]
    except (KeyError, TypeError, AttributeError):
        return None
    names = tuple(str(n) for n in names if n)
    return names or None


def probe(kind: str, address: str, timeout: float = BUDGET_S) -> LocalServer | None:
    """One address: a server with at least one chat model, or None."""
    models = _models(kind, address, timeout)
    if not models:
        return None
    server = LocalServer(kind, address, models)
    try:
        server.model_name
    except IndexError:  # only embedding models
        return None
    return server


def detect(probes: str = DEFAULT_PROBES, budget_s: float = BUDGET_S) -> LocalServer | None:
    """The first server (in the order given) that answers within the budget."""
    targets = parse_probes(probes)
    if not targets:
        return None
    found: list[LocalServer | None] = [None] * len(targets)
    done = [threading.Event() for _ in targets]

    def run(i: int, kind: str, address: str) -> None:
        try:
            found[i] = probe(kind, address, budget_s)
        finally:
            done[i].set()

    for i, (kind, address) in enumerate(targets):
        threading.Thread(target=run, args=(i, kind, address), daemon=True, name=f"probe-{address}").start()
    deadline = time.monotonic() + budget_s
    for i in range(len(targets)):
        # Earlier (preferred) servers are waited for; later ones only if they answered in time.
        done[i].wait(max(0.0, deadline - time.monotonic()))
        if found[i] is not None:
            return found[i]
    return None


def probes_for(settings) -> str:
    """The addresses "auto" looks at: a server given by --api-base first."""
    probes = settings.local_servers
    if settings.api_base:
        parts = urlsplit(settings.api_base)
        if parts.scheme == "http" and parts.port and parts.path.rstrip("/") in ("", "/v1"):
            probes = f"openai@{parts.hostname}:{parts.port}," + probes
    return probes


def describe(settings) -> list[tuple[str, bool, str]]:
    """`doctor` rows: which judge will be used, and how to get a better one."""
    named = settings.named_model
    if settings.offline or settings.model.strip().lower() == "offline":
        return [("judge", True, "offline judge, as set (nothing leaves this machine). " + BETTER_JUDGE_HINT)]
    if named:
        from voicecoach.engines.llm import preflight

        rows = [(f"LLM {named}: {name}", ok, detail) for name, ok, detail in preflight(named, settings.api_base)]
        rows.append(("privacy", True, f"transcripts and cards are sent to {named}; audio never leaves this machine"))
        return rows
    started = time.monotonic()
    server = detect(probes_for(settings))
    took = (time.monotonic() - started) * 1000
    if server is None:
        where = ", ".join(a for _k, a in parse_probes(probes_for(settings))) or "none configured"
        return [("judge", True, f"offline judge: no local model server running ({where}; checked in {took:.0f} ms). " + BETTER_JUDGE_HINT)]
    return [("judge", True, f"LLM judge {server.model_name} on {server.label} at {server.address} (found running; "
                            f"transcripts stay on this machine). Other models there: {', '.join(server.models[:5])}")]
