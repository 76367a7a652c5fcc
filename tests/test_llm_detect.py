"""Finding a local model server that is already running (Ollama, llama.cpp,
LM Studio), against small fake servers on 127.0.0.1; the judge setting
(auto, offline, a named model); and what `doctor` says."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.conftest import LLM_CARDS

from tests.openai_server import ChatServer, Scripted
from voicecoach.config import load_settings
from voicecoach.engines.embed import HashEmbedder
from voicecoach.judge import make_judge
from voicecoach.judge.detect import detect, parse_probes
from voicecoach.judge.offline import OfflineJudge
from voicecoach.models import Transcript


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@pytest.fixture(scope="module")
def bank(llm_bank):
    return llm_bank  # the cards the scripted replies and quotes were written for


@pytest.fixture
def servers():
    started = []

    def start(**kw) -> ChatServer:
        s = ChatServer(**kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def offline():
    return OfflineJudge(HashEmbedder())


def test_nothing_listening_is_quick():
    probes = ",".join(f"{k}@127.0.0.1:{closed_port()}" for k in ("ollama", "openai", "openai"))
    started = time.monotonic()
    assert detect(probes) is None
    assert time.monotonic() - started < 0.3


def test_a_server_that_never_answers_costs_the_budget_only():
    with socket.socket() as silent:  # accepts connections (backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        assert detect(f"ollama@127.0.0.1:{silent.getsockname()[1]},openai@127.0.0.1:{closed_port()}", budget_s=0.3) is None
        assert time.monotonic() - started < 0.6


def test_finds_ollama_and_skips_embedding_models(servers):
    s = servers(flavour="ollama", models=["nomic-embed-text:latest", "qwen2.5:7b-instruct"])
    found = detect(f"ollama@{s.address},openai@127.0.0.1:{closed_port()}")
    assert found.kind == "ollama" and found.model == "ollama_chat/qwen2.5:7b-instruct"
    assert found.api_base == f"http://{s.address}" and s.gets == ["/api/tags"]
    assert "Ollama" in found.note and s.address in found.note


def test_finds_an_openai_compatible_server(servers):
    s = servers(models=["llama-3.2-3b-instruct"])
    found = detect(f"ollama@127.0.0.1:{closed_port()},openai@{s.address}")
    assert found.model == "openai/llama-3.2-3b-instruct" and found.api_base == s.base


def test_order_is_preference_and_wrong_kinds_are_not_servers(servers):
    ollama = servers(flavour="ollama", models=["llama3.1:8b"])
    oai = servers(models=["m"])
    assert detect(f"ollama@{ollama.address},openai@{oai.address}").kind == "ollama"
    assert detect(f"openai@{oai.address},ollama@{ollama.address}").kind == "openai"
    # an OpenAI-compatible server asked for Ollama's list answers 404: not Ollama
    assert detect(f"ollama@{oai.address}") is None
    only_embed = servers(flavour="ollama", models=["nomic-embed-text"])
    assert detect(f"ollama@{only_embed.address}") is None


def test_bad_probe_setting_is_a_usage_error():
    from voicecoach.errors import UsageError

    assert parse_probes("none") == [] and parse_probes("") == []
    with pytest.raises(UsageError):
        parse_probes("ftp@localhost")


def test_auto_uses_a_running_server_and_says_so(servers, monkeypatch, bank):
    s = servers(models=["local-judge"])
    monkeypatch.setenv("VOICECOACH_LOCAL_SERVERS", f"openai@{s.address}")
    settings = load_settings()
    assert settings.model == "auto"
    judge = make_judge(settings, offline_factory=offline)
    assert judge.kind == "llm" and judge.primary.model == "openai/local-judge"
    card = bank.get("cross-entropy-vs-mse")
    s.replies.append(Scripted(content=json.dumps({
        "key_points": [{"index": i, "verdict": "missing", "quote": ""} for i in range(1, 5)],
        "mistakes": [{"index": i, "verdict": "not_made", "quote": ""} for i in range(1, 4)],
        "structure": 2, "delivery": 3, "coverage": 1, "overall": 10, "top_fixes": []})))
    v = judge.judge(card, Transcript(text="I am not sure, maybe it depends on the data."), None)
    assert v.judge.kind == "llm" and v.judge.model == "openai/local-judge"
    assert "found running" in v.judge.note and s.address in v.judge.note
    assert "Authorization" in s.headers[0]  # a placeholder key: local servers need none


def test_auto_with_nothing_running_and_offline_settings(servers, monkeypatch):
    monkeypatch.setenv("VOICECOACH_LOCAL_SERVERS", f"ollama@127.0.0.1:{closed_port()}")
    assert make_judge(load_settings(), offline_factory=offline).kind == "offline"
    s = servers(models=["local-judge"])
    monkeypatch.setenv("VOICECOACH_LOCAL_SERVERS", f"openai@{s.address}")
    assert make_judge(load_settings(model="offline"), offline_factory=offline).kind == "offline"
    assert make_judge(load_settings(offline=True), offline_factory=offline).kind == "offline"
    assert s.gets == []  # offline never looks
    named = make_judge(load_settings(model="openai/other", api_base=s.base), offline_factory=offline)
    assert named.primary.model == "openai/other" and s.gets == []


def test_api_base_without_a_model_uses_that_server(servers):
    s = servers(models=["served-model"])
    judge = make_judge(load_settings(api_base=s.base), offline_factory=offline)
    assert judge.kind == "llm" and judge.primary.model == "openai/served-model"


def test_doctor_says_which_judge_and_how_to_get_a_better_one(servers):
    from tests.conftest import NO_AUDIO_ENV, run_cli

    proc = run_cli(["doctor"], env={**NO_AUDIO_ENV, "VOICECOACH_LOCAL_SERVERS": f"ollama@127.0.0.1:{closed_port()}"})
    assert "offline judge: no local model server running" in proc.stdout
    assert "ollama pull qwen2.5:7b-instruct" in proc.stdout
    s = servers(flavour="ollama", models=["qwen2.5:7b-instruct"])
    proc = run_cli(["doctor"], env={**NO_AUDIO_ENV, "VOICECOACH_LOCAL_SERVERS": f"ollama@{s.address}"})
    assert f"LLM judge qwen2.5:7b-instruct on Ollama at {s.address}" in proc.stdout
    proc = run_cli(["doctor", "--model", "openai/test-model", "--api-base", f"http://127.0.0.1:{closed_port()}/v1"], env=NO_AUDIO_ENV)
    assert "API key: not needed" in proc.stdout and "unreachable" in proc.stdout


@pytest.mark.slow
def test_cli_scores_with_a_found_server_and_no_key(servers):
    from tests.conftest import run_cli

    s = servers(models=["local-judge"])
    s.replies.append(Scripted(content=json.dumps({
        "key_points": [{"index": 1, "verdict": "covered", "quote": "cross entropy compares predicted probabilities with the labels"}]
        + [{"index": i, "verdict": "missing", "quote": ""} for i in range(2, 5)],
        "mistakes": [{"index": i, "verdict": "not_made", "quote": ""} for i in range(1, 4)],
        "structure": 3, "delivery": 3, "coverage": 2, "overall": 35, "top_fixes": ["Explain the gradient."]})))
    text = "For classification I use cross entropy, because cross entropy compares predicted probabilities with the labels."
    proc = run_cli(["score", "--card", str(LLM_CARDS / "cross-entropy-vs-mse.yaml"), "--text", text, "--json"],
                   env={"VOICECOACH_LOCAL_SERVERS": f"openai@{s.address}", "OPENAI_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["judge"]["kind"] == "llm" and d["judge"]["model"] == "openai/local-judge", d["judge"]
    assert "found running" in d["judge"]["note"]
    assert d["key_points"][0]["verdict"] == "covered" and d["key_points"][0]["confidence"] == 0.9
