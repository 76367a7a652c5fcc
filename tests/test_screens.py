"""Issue 16: every screen tells the truth. One definition of an answer, an
attempt and a session score across the interview, history and reports;
typed answers; follow-ups; evidence; dates; layouts at 80 and 120 columns."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_cli
from tests.fakes import make_coach
from voicecoach.cli.base import full_hint
from voicecoach.store import tally
from voicecoach.core.interview import Interview

PARTIAL = "Cross entropy compares predicted probabilities with the true labels, so it suits classification."
UNSURE = "I am not sure."
L1 = "L1 regularization drives some weights exactly to zero, so it selects features."


def typed_interview(tmp_path, answers, cards, follow_ups=1, persona="neutral"):
    coach, _, _ = make_coach(tmp_path, speak=False)
    queue = list(answers)
    sid = coach.store.new_session("interview")
    run = Interview(coach, persona=persona, follow_ups=follow_ups, typed=lambda prompt, *a, **k: queue.pop(0))
    results = run.run(cards, sid)
    said = [m for kind, *rest in coach.ui.events if kind == "info" for m in rest]
    return coach, sid, results, said


def test_one_definition_of_attempt_and_session_score(tmp_path, bank):
    """Numbers disagree: the closing line, history, the HTML and Markdown
    reports and the progress chart count the same attempts and the same score."""
    cards = [bank.get("cross-entropy-vs-mse"), bank.get("mla-l1-vs-l2")]
    coach, sid, results, said = typed_interview(tmp_path, [PARTIAL, UNSURE, L1, UNSURE], cards)
    follow = [r for r in results if r.parent_id]
    assert follow, "a follow-up was asked"
    attempts = tally.session(coach.store, sid)
    assert len(attempts) == 2 and sum(len(a.follow_ups) for a in attempts) >= 1
    score = tally.session_score([a.overall for a in attempts])
    closing = next(m for m in said if "average score" in m)
    assert f"Your average score was {score} out of 100 over 2 questions" in closing
    # history: a follow-up is part of its attempt, never an attempt of its own
    data = json.loads(run_cli(["history", "--json"]).stdout)
    assert sorted(a["attempt_id"] for a in data["attempts"]) == sorted(a.attempt_id for a in attempts)
    assert {a["attempt_id"]: a["overall"] for a in data["attempts"]} == {a.attempt_id: a.overall for a in attempts}
    assert not {f.attempt_id for a in attempts for f in a.follow_ups} & {a["attempt_id"] for a in data["attempts"]}
    # the HTML report of the session: the same count and score, the follow-up inside its question
    out = tmp_path / "s.html"
    proc = run_cli(["report", sid, "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert f"2 questions and {len(follow)} follow-up" in page and f"session score {score}/100" in page
    assert page.count('<section class="card attempt') == 2
    assert "Follow-up question:" in page and "first scored session" in page  # one session: no one-dot chart
    md = tmp_path / "s.md"
    run_cli(["report", sid, "--format", "md", "--out", str(md)])
    assert f"session score {score}/100" in md.read_text() and "**Follow-up question:**" in md.read_text()
    # a report of the follow-up's id is the report of its question
    proc = run_cli(["report", follow[0].attempt_id, "--format", "md", "--out", str(tmp_path / "f.md")])
    assert proc.returncode == 0 and (tmp_path / "f.md").read_text().startswith("# " + cards[0].title)


def test_typed_answer_delivery_is_not_measured(tmp_path, bank):
    """Typed answers got 'Delivery 3/5' (scores.delivery 3 in --json); now
    not measured, null, and left out of the overall."""
    from rich.console import Console

    from voicecoach.judge import scoring
    from voicecoach.render.terminal import render_result
    from voicecoach.render.html import render_html
    from voicecoach.render.markdown import render_markdown
    from voicecoach.core.coach import AnswerInput

    coach, _, _ = make_coach(tmp_path, speak=False)
    card = bank.get("cross-entropy-vs-mse")
    r = coach.attempt(card, AnswerInput(text=PARTIAL + " It keeps gradients large when the model is confidently wrong."),
                      coach.store.new_session("score"))
    assert r.scores.delivery is None and json.loads(r.model_dump_json())["scores"]["delivery"] is None
    wc = len(r.transcript.text.split())
    assert r.scores.overall == scoring.overall(card, r.key_points, r.mistakes, r.scores.structure, None, wc)
    con = Console(record=True, width=120)
    render_result(con, r)
    text = con.export_text()
    assert "Delivery not measured" in text and "Delivery 3/5" not in text
    assert "not measured" in render_html([r]) and "Delivery not measured" in render_markdown([r])


def test_ctrl_c_during_a_typed_answer_keeps_the_text(tmp_path, bank):
    """Ctrl-C during 'review --type' lost the typed answer and left the
    session without an end; now the text is an incomplete attempt, the
    session ends, and the hint says how to score it."""
    from voicecoach.errors import Interrupted
    from voicecoach.core.coach import AnswerInput  # noqa: F401
    from voicecoach.cli.typed import TypedInterrupt, typed_answer

    class Reader:  # one line typed, then Ctrl-C with "because" half-typed
        stream = None

        def __init__(self):
            self.lines = ["Cross-entropy compares probabilities with labels"]

        def readline(self, deadline):
            if self.lines:
                return self.lines.pop(0)
            raise KeyboardInterrupt

    with pytest.raises(TypedInterrupt) as caught:
        typed_answer("Q?", 60, reader=Reader(), echo=lambda s: None)
    assert caught.value.text == "Cross-entropy compares probabilities with labels"

    coach, _, _ = make_coach(tmp_path, speak=False)
    sid = coach.store.new_session("review")

    def typed(prompt, limit):
        raise TypedInterrupt("Cross-entropy because")

    with pytest.raises(Interrupted) as stopped:
        Interview(coach, typed=typed).run([bank.get("cross-entropy-vs-mse")], sid)
    rows = coach.store.session_attempts(sid)
    assert len(rows) == 1 and rows[0]["status"] == "incomplete" and rows[0]["answer_text"] == "Cross-entropy because"
    assert rows[0]["id"] in stopped.value.message and f"voicecoach rescore {rows[0]['id']}" in full_hint(stopped.value)
    assert coach.store.sessions()[0]["ended_at"]
    again = coach.rescore(rows[0]["id"])
    assert again.transcript.text == "Cross-entropy because" and coach.store.attempt(rows[0]["id"])["status"] == "scored"


def test_empty_answer_leaves_no_phantom_attempt():
    """'score --text ""' errored but history then listed an attempt in state 'recording'."""
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--text", ""])
    assert proc.returncode == 6 and "empty" in proc.stderr
    data = json.loads(run_cli(["history", "--json"]).stdout)
    assert data["attempts"] == []
    assert json.loads(run_cli(["export"]).stdout)["sessions"] == []


def test_export_out_creates_the_folder(tmp_path):
    out = tmp_path / "new" / "folder" / "all.json"
    proc = run_cli(["export", "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["sessions"] == []


def _pipe_reader(text: str, close: bool = True):
    import os

    from voicecoach.cli.typed import LineReader

    r, w = os.pipe()
    os.write(w, text.encode())
    if close:
        os.close(w)
    return LineReader(os.fdopen(r, "rb", buffering=0))


def test_typed_mode_has_typed_instructions_closing_phrase_and_time_limit(tmp_path, bank):
    """Typed mode said 'Say "that's my answer"', did not end on a typed
    "That's my answer." (which was quoted as evidence) and neither showed nor
    enforced the time limit."""
    import time

    from voicecoach.cli.typed import typed_answer

    shown: list[str] = []
    text = typed_answer("Why?", 10, reader=_pipe_reader("Cross entropy fits classification.\nThat's my answer.\nnot this\n"), echo=shown.append)
    assert text == "Cross entropy fits classification."
    assert "you have 10 seconds" in shown[0] and "that's my answer" in shown[0]
    assert typed_answer("Why?", 10, reader=_pipe_reader("It fits labels, that's my answer\n"), echo=shown.append) == "It fits labels"
    assert typed_answer("Why?", 10, reader=_pipe_reader("It fits labels\ndone\n"), echo=shown.append) == "It fits labels"
    began = time.monotonic()
    text = typed_answer("Why?", 1, reader=_pipe_reader("Typed before the limit\nand still typing", close=False), echo=shown.append)
    assert text == "Typed before the limit" and time.monotonic() - began < 3 and "Time is up" in shown[-1]
    # the introduction of a typed interview gives typed instructions
    coach, sid, results, said = typed_interview(tmp_path, [L1 + " That's my answer."], [bank.get("mla-l1-vs-l2")], follow_ups=0)
    intro = next(m for m in said if "Interviewer:" in m)
    assert "type each answer" in intro and 'Say "that' not in intro
    assert "answer" not in results[0].transcript.text.lower().split()[-2:]


def test_offline_follow_ups_quote_the_card_whole(bank):
    """Follow-ups were a bag of words ("How does draws many resamples
    replacement come into it?"); now they quote the missed key point whole."""
    import random

    from voicecoach.core.interview import point_phrase, probe_for
    from voicecoach.models import KeyPointResult

    card = bank.get("st-bootstrap")
    q = probe_for(KeyPointResult(key_point=card.key_points[0], verdict="missing"), card, "neutral", random.Random(0))
    assert point_phrase(card.key_points[0]) in q and "come into it" not in q
    assert ": the bootstrap draws many resamples with replacement from the observed data, each the same size" in q
    for card in bank.cards.values():
        for kp in card.key_points:
            for persona in ("friendly", "neutral", "tough"):
                q = probe_for(KeyPointResult(key_point=kp, verdict="missing"), card, persona, random.Random(1))
                assert "?" in q or q.endswith("specific."), q
                if not card.is_behavioral:
                    assert point_phrase(kp) in q, q
                else:  # "Describes the problem they noticed" -> "describe the problem you noticed"
                    assert " they " not in f" {q} " and q.split()[-1] not in ("?",), q


def test_follow_ups_are_shown_in_replay_and_reports(tmp_path, bank):
    """replay merged the follow-up answer into the first and never showed the
    follow-up question; the report filed it under the original title."""
    cards = [bank.get("cross-entropy-vs-mse")]
    coach, sid, results, said = typed_interview(tmp_path, [PARTIAL, "Gradients stay large when the model is confidently wrong."], cards)
    follow = next(r for r in results if r.parent_id)
    main = tally.session(coach.store, sid)[0]
    for ref in (sid, main.attempt_id, follow.attempt_id):
        proc = run_cli(["replay", ref, "--no-audio"], env={"COLUMNS": "120"})
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
        assert out.count(cards[0].title) == 1 and "Follow-up question:" in out and follow.prompt[:40] in out
        assert out.index(PARTIAL[:30]) < out.index("Follow-up question:") < out.index("Gradients stay large")
    page = tmp_path / "r.html"
    run_cli(["report", main.attempt_id, "--out", str(page)])
    html = page.read_text()
    assert html.index(PARTIAL[:30]) < html.index("Follow-up question:") < html.index("Gradients stay large")


def test_evidence_quotes_whole_clauses(bank):
    """Evidence was cut mid-sentence ("...from the one-hot label; it")."""
    from voicecoach.engines.embed import HashEmbedder
    from voicecoach.judge.offline import OfflineJudge
    from voicecoach.judge.text import whole_clause
    from voicecoach.models import Transcript

    toks = "Cross entropy is the negative log likelihood of the one-hot label; it punishes confident mistakes hard.".split()
    assert whole_clause(toks, 4, 12) == (0, 11)  # "...label; it" -> back to the clause start, the dangling "it" dropped
    assert whole_clause(toks, 2, 15) == (0, len(toks))  # on to the end of the clause
    long = ("What decides between them is money or pain: how bad is it for a customer to lose an invoice "
            "to the junk folder compared with seeing one extra spam message?").split()
    assert whole_clause(long, 0, 13) == (0, 8)  # "...pain: how bad is it for a" -> "...pain:" (its clause runs on past the reach)
    answer = ("Cross entropy compares the predicted probabilities with the true labels, so it fits classification. "
              "Mean squared error assumes Gaussian errors; that does not fit categorical labels at all. "
              "With softmax outputs, cross entropy keeps the gradient large when the model is confidently wrong, so training is faster. "
              "It is the standard loss for logistic regression and for neural network classifiers.")
    judge = OfflineJudge(HashEmbedder())
    for card_id in ("cross-entropy-vs-mse", "mla-l1-vs-l2", "st-bootstrap"):
        v = judge.judge(bank.get(card_id), Transcript(text=answer), None)
        quotes = [k.evidence for k in v.key_points if k.evidence] + [m.evidence for m in v.mistakes if m.evidence and m.kind.value == "claim"]
        for q in quotes:
            at = answer.index(q)  # a quote of the answer, whole clauses only
            assert at == 0 or answer[:at].rstrip()[-1] in ".?!;:,", q
            assert q[-1] in ".?!" or answer[at + len(q)] in ",;:", q


def test_compare_refuses_different_cards_and_times_agree(tmp_path, bank):
    """compare across two cards said "no key point changed"; compare and replay
    showed UTC ISO times while history showed another format (and another
    second). Now: a clear refusal, and one local time everywhere."""
    from datetime import datetime, timedelta, timezone

    from voicecoach.core.coach import AnswerInput

    coach, _, _ = make_coach(tmp_path, speak=False)
    sid = coach.store.new_session("practice")
    a = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text=PARTIAL), sid)
    b = coach.attempt(bank.get("mla-l1-vs-l2"), AnswerInput(text=L1), sid)
    c = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text=PARTIAL + " Gradients stay large."), sid)
    proc = run_cli(["compare", a.attempt_id, b.attempt_id])
    assert proc.returncode == 2 and "same question" in proc.stderr and "no key point changed" not in proc.stdout
    row = coach.store.attempt(a.attempt_id)
    utc = datetime.fromisoformat(row["created_at"])
    local = utc.astimezone(timezone(timedelta(hours=5, minutes=30))).strftime("%Y-%m-%d %H:%M")
    env = {"TZ": "Asia/Kolkata", "COLUMNS": "200"}
    outs = [run_cli(args, env=env).stdout for args in (["history"], ["compare", a.attempt_id, c.attempt_id], ["replay", a.attempt_id, "--no-audio"])]
    for out in outs:
        assert local in out and row["created_at"] not in out and "+00:00" not in out, out
    report = tmp_path / "a.md"
    run_cli(["report", a.attempt_id, "--format", "md", "--out", str(report)], env=env)
    assert local in report.read_text()


@pytest.mark.parametrize("columns", [80, 120])
def test_tables_keep_ids_whole_at_80_and_120_columns(tmp_path, bank, columns):
    """At 80 columns 'questions list' cut 114 of 162 ids ("bh-ambiguous-requi…")
    and history squeezed its columns until no score was visible; at 120 its
    headers read "over…", "cover…"."""
    from voicecoach.core.coach import AnswerInput

    env = {"COLUMNS": str(columns)}
    out = run_cli(["questions", "list"], env=env).stdout
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= columns
    listed = set(re.findall(r"^[│|] (\S+)", out, re.M))
    assert listed == set(bank.cards), set(bank.cards) - listed
    coach, _, _ = make_coach(tmp_path, speak=False)
    sid = coach.store.new_session("practice")
    done = [coach.attempt(bank.get(cid), AnswerInput(text=PARTIAL), sid)
            for cid in ("bh-ambiguous-requirements", "cross-entropy-vs-mse", "st-standard-deviation-vs-standard-error")]
    coach.store.new_attempt(sid, bank.get("st-bootstrap"), "text")  # one never scored
    out = run_cli(["history"], env=env).stdout
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= columns, out
    for r in done:
        assert r.attempt_id in out and r.card_id in out and re.search(rf"\b{r.scores.overall}\b", out), out
    assert "score" in out and "coverage" in out
    out = run_cli(["history", "--card", "cross-entropy-vs-mse"], env=env).stdout
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= columns, out


def test_filters_that_match_nothing_say_so(tmp_path, bank):
    """history --card nonexistent / a prefix, and questions list --category ml
    were silent empty tables (exit 0)."""
    from voicecoach.core.coach import AnswerInput

    coach, _, _ = make_coach(tmp_path, speak=False)
    a = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text=PARTIAL), coach.store.new_session("practice"))
    proc = run_cli(["history", "--card", "nonexistent"])
    assert proc.returncode == 2 and "no question with id 'nonexistent'" in proc.stderr
    proc = run_cli(["history", "--card", "cross-entropy"], env={"COLUMNS": "120"})  # a unique start of an id
    assert proc.returncode == 0 and a.attempt_id in proc.stdout and "showing cross-entropy-vs-mse" in proc.stderr
    proc = run_cli(["history", "--card", "mla"])
    assert proc.returncode == 2 and "ids start with it" in proc.stderr and "Did you mean: mla-" in proc.stderr
    proc = run_cli(["history", "--card", "st-bootstrap"])
    assert proc.returncode == 0 and "No attempts at question st-bootstrap yet" in proc.stdout
    for args in (["questions", "list", "--category", "ml"], ["history", "--category", "ml"]):
        proc = run_cli(args)
        assert proc.returncode == 2 and "no category matches 'ml'" in proc.stderr and "Machine Learning" in proc.stderr
    proc = run_cli(["questions", "list", "--search", "zzzz"])
    assert proc.returncode == 2 and "no question matches search 'zzzz'" in proc.stderr


def test_review_list_is_explained_and_has_json(tmp_path, bank):
    """review --list printed tab-separated rows with an unexplained 0.37 and a
    "missed 73%" that disagreed with history; --json was ignored."""
    from voicecoach.core.coach import AnswerInput

    coach, _, _ = make_coach(tmp_path, speak=False)
    a = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text=PARTIAL), coach.store.new_session("practice"))
    covered = sum(k.verdict == "covered" for k in a.key_points)
    out = run_cli(["review", "--list"], env={"COLUMNS": "80"}).stdout
    assert "\t" not in out and "cross-entropy-vs-mse" in out and "…" not in out
    assert f"{covered} of {len(a.key_points)} key points covered" in out and f"score {a.scores.overall}" in out
    data = json.loads(run_cli(["review", "--list", "--json"]).stdout)
    assert data[0]["card_id"] == "cross-entropy-vs-mse" and "priority" in data[0]


def test_json_everywhere_with_one_vocabulary(tmp_path, bank):
    """--json was missing on questions show, doctor, config, voices and
    replay; export used id/prompt_text/schema_version 2 where score --json
    uses attempt_id/prompt/1. Now every command has it, and export adds the
    common names beside its own (kept as aliases)."""
    from tests.conftest import NO_AUDIO_ENV

    coach, sid, results, _ = typed_interview(tmp_path, [PARTIAL, UNSURE], [bank.get("cross-entropy-vs-mse")])
    card = json.loads(run_cli(["questions", "show", "st-bootstrap", "--json"]).stdout)
    assert card["card_id"] == card["id"] == "st-bootstrap" and card["key_points"]
    checks = json.loads(run_cli(["doctor", "--json"], env=NO_AUDIO_ENV).stdout)
    assert {"check", "ok", "detail", "next_step"} <= checks[0].keys()
    mic = next(c for c in checks if c["check"] == "microphone")
    assert not mic["ok"] and "--type" in mic["next_step"]
    assert any("embedding" in c["check"] for c in checks) and any(c["check"].startswith("voice") for c in checks)
    conf = json.loads(run_cli(["config", "--json"]).stdout)
    assert {s["name"] for s in conf["settings"]} >= {"model", "end_silence_s", "voice"}
    voices = json.loads(run_cli(["voices", "--json"]).stdout)
    assert [v["id"] for v in voices if v["default"]] == ["gmw/en"] and all("en" in v["id"] or "piper" in v["id"] for v in voices)
    assert len(json.loads(run_cli(["voices", "--all", "--json"]).stdout)) > 100
    replay = json.loads(run_cli(["replay", sid, "--json"]).stdout)
    assert replay["attempts"][0]["follow_ups"][0]["prompt"] and replay["attempts"][0]["result"]["attempt_id"]
    exported = json.loads(run_cli(["export"]).stdout)
    a = exported["sessions"][0]["attempts"][0]
    assert a["attempt_id"] == a["id"] and a["prompt"] == a["prompt_text"] and exported["sessions"][0]["session_id"] == sid
    assert exported["database_version"] == exported["schema_version"]
    proc = run_cli(["devices", "--json"], env=NO_AUDIO_ENV)
    assert proc.returncode == 4 and json.loads(proc.stdout) == [] and "--type" in proc.stderr


def test_config_speaks_toml_and_takes_flag_names(tmp_path):
    """config printed Python values (model = '', None, False), raw pydantic
    messages, "unknown setting" for end-silence with no suggestion, and
    internal settings."""
    out = run_cli(["config"]).stdout
    assert "model = ''" not in out.replace("  ", " ") and "None" not in out and "False" not in out and "True" not in out
    assert "timings_file" not in out and "stt_beam_size" not in out
    proc = run_cli(["config", "speak", "false"])
    assert proc.returncode == 0
    assert re.search(r"speak\s+= false\s+\(config file", run_cli(["config"]).stdout)
    proc = run_cli(["config", "end-silence", "3"])
    assert proc.returncode == 0 and "end_silence_s" in proc.stdout
    assert run_cli(["config", "end-silence"]).stdout.strip() == "3"
    proc = run_cli(["config", "end-silence", "abc"])
    assert proc.returncode == 2 and "end_silence_s must be a number, not 'abc'" in proc.stderr and "pydantic" not in proc.stderr
    proc = run_cli(["config", "end_silenc", "3"])
    assert proc.returncode == 2 and "Did you mean end_silence_s" in proc.stderr


def test_help_is_whole_and_every_option_explained():
    """voicecoach --help cut summaries with "..."; --difficulty, --persona,
    review -n, history's and doctor's options had no help."""
    import click

    from voicecoach.cli import main

    for args in (["--help"], ["questions", "--help"]):
        out = run_cli(args, env={"COLUMNS": "80"}).stdout
        assert "..." not in out.split("Commands:")[1] and "…" not in out, out
    missing = []

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, path + [name])
        missing.extend(f"{' '.join(path)} {p.opts[0]}" for p in cmd.params if isinstance(p, click.Option) and not p.help and not p.hidden)

    walk(main, ["voicecoach"])
    assert not missing, missing


def test_marks_have_a_legend_and_no_judge_internals(tmp_path, bank):
    """No legend for ✔ ~ ✘ ?, "(claim)/(omission)" unexplained, and judge
    internals shown ("embeddings cannot tell which way it goes")."""
    from rich.console import Console

    from voicecoach.render.terminal import render_result
    from voicecoach.render.html import render_html
    from voicecoach.render.markdown import render_markdown
    from voicecoach.core.coach import AnswerInput

    coach, _, _ = make_coach(tmp_path, speak=False)
    r = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text="MSE is not a bad loss for classification. " + PARTIAL),
                      coach.store.new_session("score"))
    con = Console(record=True, width=80)
    render_result(con, r)
    shown = con.export_text() + render_html([r]) + render_markdown([r])
    assert "✔ covered" in shown and "? cannot tell" in shown and "missing point" in shown
    assert "(claim)" not in shown and "(omission)" not in shown and "embeddings" not in shown and "close match (" not in shown


def test_interview_ends_with_the_session_id_and_next_step(tmp_path, bank):
    """The interview ended without the session id or the next step, and said "over 1 questions"."""
    coach, sid, results, said = typed_interview(tmp_path, [L1], [bank.get("mla-l1-vs-l2")], follow_ups=0)
    text = "\n".join(said)
    assert "over 1 question." in text and "over 1 questions" not in text
    assert f"voicecoach report {sid}" in text and f"voicecoach replay {sid}" in text and "voicecoach review" in text


def test_html_report_reads_well(tmp_path, bank):
    """The HTML report was titled after the first question, in a narrow column
    at 1280 px, with a one-dot progress chart and an empty words-per-minute
    axis for typed answers, an empty TIME column, and no model answer."""
    from voicecoach.render.charts import progress_chart

    cards = [bank.get("cross-entropy-vs-mse"), bank.get("mla-l1-vs-l2")]
    coach, sid, results, _ = typed_interview(tmp_path, [PARTIAL, UNSURE, L1, UNSURE], cards)
    out = tmp_path / "s.html"
    assert run_cli(["report", sid, "--out", str(out)]).returncode == 0
    page = out.read_text()
    assert re.search(r"<h1>Interview session s[\w-]+, \d{4}-\d\d-\d\d \d\d:\d\d</h1>", page)
    assert "max-width:1180px" in page and "<th>Time</th>" not in page
    assert "A model answer, to learn from" in page and cards[0].sample_answer[:60] in page
    assert "first scored session" in page and "<svg class=\"chart\" viewBox=\"0 0 760 230\"" not in page
    typed_only = progress_chart([{"created_at": "2026-01-01T00:00:00+00:00", "overall": 40}, {"created_at": "2026-01-02T00:00:00+00:00", "overall": 60}])
    assert "words per minute" not in typed_only and "overall score" in typed_only
