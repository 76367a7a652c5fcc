"""Interview plans: documents read (text, Markdown, PDF, DOCX) and refused
with clear errors; the offline plan for five roles (category mix, top picks,
reasons quoted from the documents); plans saved, listed, shown and deleted;
a plan run as an interview; LLM-written cards through a scripted
OpenAI-compatible server on 127.0.0.1 (kept, repaired or dropped)."""

from __future__ import annotations

import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_cli
from voicecoach.store import history as h
from voicecoach.plan import plans
from voicecoach.plan.documents import read_document, scrub
from voicecoach.errors import DocumentError
from voicecoach.plan.lexicon import BH, DL, ML, SD, SQL, ST
from voicecoach.plan.profile import profile

DATA = Path(__file__).parent / "data" / "plans"
ROLES = ["ml-engineer", "data-engineer", "backend-engineer", "data-analyst", "engineering-manager"]


def resume_of(role: str) -> Path:
    return next(DATA.glob(f"{role}-resume.*"))


def build(role: str, bank, n: int = 8, resume: Path | None = None):
    docs = plans.read_documents(DATA / f"{role}.md", resume or resume_of(role))
    return plans.build(docs, bank, n, role), docs


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


# ------------------------------------------------------------------ documents


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with a real text layer, written by hand (no PDF writer
    needed): catalog, page, font, content stream, and a correct xref table."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
    for line in lines:
        ops.append("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
    doc.save(str(path))
    return path


CV_LINES = ["Tomasz Nowak - Senior Data Engineer", "Parcelgo 2019 - present: built a Kafka to Spark Structured Streaming pipeline",
            "for courier GPS pings; migrated 300 Airflow DAGs; designed a star schema in Redshift.",
            "Skills: SQL, Python, Spark, Kafka, Airflow, dbt"]


def test_pdf_resume_is_read(tmp_path):
    doc = read_document(make_pdf(tmp_path / "cv.pdf", CV_LINES), "résumé")
    assert doc.kind == "pdf"
    assert "Structured Streaming" in doc.text and "Airflow DAGs" in doc.text
    prof = profile((DATA / "backend-engineer.md").read_text(), doc.text)
    assert {"Spark", "Airflow"} <= {s.skill for s in prof.skills if s.source == "resume"}


def test_docx_resume_is_read_with_tables(tmp_path):
    path = make_docx(tmp_path / "cv.docx", CV_LINES[:3], table=[["Skill", "Years"], ["PyTorch", "4"], ["Kubernetes", "2"]])
    doc = read_document(path, "résumé")
    assert doc.kind == "docx" and "star schema in Redshift" in doc.text and "PyTorch | 4" in doc.text


def test_the_kind_is_told_from_the_bytes_not_the_name(tmp_path):
    pdf = make_pdf(tmp_path / "cv.txt", CV_LINES)
    assert read_document(pdf).kind == "pdf"


@pytest.mark.parametrize("name, content, words", [
    ("empty.md", b"", "is empty"),
    ("spaces.txt", b" \n\n\t  \n", "almost no text"),
    ("binary.txt", bytes(range(256)) * 40, "not a text file"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog garbage", "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 this is not really a zip file at all", "damaged DOCX"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old binary Word"),
    ("cv.rtf", b"{\\rtf1\\ansi Hello}", "RTF"),
])
def test_bad_documents_are_clear_errors(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as exc:
        read_document(path, "résumé")
    assert words in exc.value.message and exc.value.hint


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "cv.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DocumentError, match="not a Word document"):
        read_document(path)


def test_scanned_pdf_without_text(tmp_path):
    with pytest.raises(DocumentError, match="almost no text .a scanned PDF"):
        read_document(make_pdf(tmp_path / "scan.pdf", []))


def test_huge_and_missing_files_through_the_cli(tmp_path):
    huge = tmp_path / "job.md"
    huge.write_bytes(b"Data engineer wanted. " * 300_000)  # 6.6 MB
    proc = run_cli(["plan", "--job", str(huge)])
    assert proc.returncode == 11 and "more than the 5 MB limit" in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    proc = run_cli(["plan", "--job", str(DATA / "data-engineer.md"), "--resume", str(tmp_path / "nope.pdf")])
    assert proc.returncode == 11 and "résumé" in proc.stderr and "not found" in proc.stderr
    bad = tmp_path / "cv.pdf"
    bad.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00garbage" * 100)
    proc = run_cli(["plan", "--job", str(DATA / "data-engineer.md"), "--resume", str(bad)])
    assert proc.returncode == 11 and "not a readable PDF" in proc.stderr and "Traceback" not in proc.stderr


def test_scrub_removes_contact_details_but_keeps_years():
    text = "priya.raman@example.com · +44 7700 900123 · github.com/priyaraman · https://x.io/a (2020 - 2024)"
    out = scrub(text)
    assert "example.com" not in out and "7700" not in out and "priyaraman" not in out and "x.io" not in out
    assert "2020 - 2024" in out


# --------------------------------------------------------------- offline plans

EXPECT = {
    # role: (family, company, seniority, categories that lead, picks that must be there)
    "ml-engineer": ("ml", "Fernhill Health", "senior", [ML], {"mlb-data-drift-vs-concept-drift", "mlb-xgboost-vs-gradient-boosting", "st-ab-test-design"}),
    "data-engineer": ("data_eng", "Tidewater Logistics", "senior", [SQL], {"sql-star-schema", "swe-message-queue-idempotency", "sql-deduplicate-rows"}),
    "backend-engineer": ("backend", "Lumen Pay", "mid", [SD], {"swe-message-queue-idempotency", "swe-caching-invalidation", "swe-observability-pillars"}),
    "data-analyst": ("analyst", "Pebble Books", "mid", [SQL, ST], {"st-ab-test-design", "sql-window-functions-running-total"}),
    "engineering-manager": ("manager", "Northwind Energy", "manager", [BH], {"bh-giving-difficult-feedback", "bh-mentoring-someone", "bh-production-mistake"}),
}


@pytest.mark.parametrize("role", ROLES)
def test_offline_plan_for_each_role(role, bank):
    family, company, seniority, leading, must = EXPECT[role]
    plan, docs = build(role, bank)
    prof = plan.profile
    assert (prof.family, prof.company, prof.seniority) == (family, company, seniority)
    assert len(plan.items) == 8 and len({i.card_id for i in plan.items}) == 8
    assert sum(plan.mix.values()) == 8 and plan.mix.get(BH, 0) >= 1  # every plan has behavioral questions
    top = max(plan.mix.values())
    assert all(plan.mix[c] == top or plan.mix[c] >= 3 for c in leading), plan.mix
    picked = {i.card_id for i in plan.items}
    assert must <= picked, picked
    # every reason is words of the job description or the résumé (or, for a filler, the role)
    texts = {"job": norm(docs.job.text), "resume": norm(docs.resume.text)}
    for it in plan.items:
        if it.reason_source == "role":
            assert prof.role in it.reason
            continue
        for piece in it.reason.split("…"):
            assert norm(piece).strip() in texts[it.reason_source], (it.card_id, it.reason)
    assert plan.items[0].category == BH  # the interview opens with a behavioral question
    assert plan.build_s < 5


def test_mix_follows_the_job(bank):
    ml, _ = build("ml-engineer", bank)
    assert ml.mix[ML] >= 3 and ml.mix[DL] >= 1 and ml.mix[ST] >= 1 and SQL not in ml.mix
    de, _ = build("data-engineer", bank)
    assert de.mix[SQL] >= 3 and de.mix[SD] >= 1 and ML not in de.mix and DL not in de.mix
    be, _ = build("backend-engineer", bank)
    assert be.mix[SD] >= 4 and ML not in be.mix
    da, _ = build("data-analyst", bank)
    assert da.mix[SQL] + da.mix[ST] >= 5 and ML not in da.mix and DL not in da.mix
    em, _ = build("engineering-manager", bank)
    assert em.mix[BH] >= 4


def test_plans_are_deterministic_and_sized(bank):
    a, _ = build("data-analyst", bank, n=12)
    b, _ = build("data-analyst", bank, n=12)
    assert [i.card_id for i in a.items] == [i.card_id for i in b.items] and len(a.items) == 12
    small, _ = build("backend-engineer", bank, n=3)
    assert len(small.items) == 3 and small.mix.get(BH) == 1


def test_user_cards_are_ranked_too(tmp_path, bank):
    from voicecoach.content.questions import load_bank

    card = bank.get("sql-star-schema").model_dump(mode="json", exclude_none=True)
    card.update(id="my-airflow-backfill", title="How would you backfill a year of data with Airflow without double counting?",
                tags=["airflow", "backfill", "idempotency"], category="Data & SQL")
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "mine.json").write_text(json.dumps(card))
    mine = load_bank([tmp_path / "bank"])
    plan, _ = build("data-engineer", mine)
    item = next(i for i in plan.items if i.card_id == "my-airflow-backfill")
    assert item.origin == "user" and item.skill in ("Airflow", "idempotency")


# ------------------------------------------------------------------- the CLI


def test_plan_cli_save_list_show_delete(isolated_home):
    job, cv = DATA / "backend-engineer.md", resume_of("backend-engineer")
    proc = run_cli(["plan", "--job", str(job), "--resume", str(cv)], env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Backend Engineer at Lumen Pay" in out and "Plan backend-engineer-lumen-pay: 8 questions" in out
    assert "why: job (" in out and "nothing was sent" in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "backend-engineer-lumen-pay" in run_cli(["plan", "list"]).stdout
    again = run_cli(["plan", "--job", str(job), "--json"])  # the default name is taken: a new one
    assert json.loads(again.stdout)["name"] == "backend-engineer-lumen-pay-2"
    proc = run_cli(["plan", "--job", str(job), "--name", "backend-engineer-lumen-pay"])
    assert proc.returncode == 12 and "already exists" in proc.stderr and "--replace" in proc.stderr
    shown = json.loads(run_cli(["plan", "show", "backend-engineer-lumen-pay", "--json"]).stdout)
    assert shown["profile"]["role"] == "Backend Engineer" and len(shown["items"]) == 8
    assert run_cli(["plan", "delete", "backend-engineer-lumen-pay-2"]).returncode == 0
    names = [p["name"] for p in json.loads(run_cli(["plan", "list", "--json"]).stdout)]
    assert names == ["backend-engineer-lumen-pay"]
    proc = run_cli(["plan", "show", "nope"])
    assert proc.returncode == 12 and "no plan named" in proc.stderr
    proc = run_cli(["plan"])
    assert proc.returncode == 2 and "--job" in proc.stderr
    proc = run_cli(["plan", "--name", "Bad Name!", "--job", str(job)])
    assert proc.returncode == 2 and "not allowed" in proc.stderr
    assert "plans: built from your job description" in run_cli(["doctor"]).stdout


def test_plan_runs_as_an_interview_and_history_filters_by_plan(tmp_path, isolated_home, bank):
    from tests.fakes import make_coach
    from voicecoach.core.interview import Interview
    from voicecoach.core.coach import AnswerInput
    from voicecoach.store.plans import load_plan, save_plan

    plan, _ = build("data-analyst", bank, n=3)
    coach, synth, _ = make_coach(tmp_path, speak=True)
    save_plan(coach.store, plan)
    saved = load_plan(coach.store, plan.name)
    cards, notes = plans.plan_cards(saved, bank)
    assert [c.id for c in cards] == [i.card_id for i in plan.items] and not notes
    sid = coach.store.new_session("interview", plan=plan.name)
    Interview(coach, typed=lambda prompt: "I agreed the scope in writing and shipped a first version.", follow_ups=0,
              opening=saved.opening).run(cards[:2], sid)
    assert synth.spoken[0].startswith("This is a mock interview for the Data Analyst, Growth role at Pebble Books.")
    other = coach.store.new_session("practice")
    coach.attempt(bank.get("sql-join-types"), AnswerInput(text="Inner joins."), other)
    under_plan = h.rows(coach.store, plan=plan.name)
    assert len(under_plan) == 2 and {r["card_id"] for r in under_plan} == {c.id for c in cards[:2]}
    assert len(h.rows(coach.store)) == 3
    proc = run_cli(["history", "--plan", plan.name, "--json"])
    assert proc.returncode == 0 and len(json.loads(proc.stdout)["attempts"]) == 2
    # a card gone from the bank runs from the copy saved with the plan
    from voicecoach.content.questions import Bank

    cards2, notes2 = plans.plan_cards(saved, Bank())
    assert [c.id for c in cards2] == [c.id for c in cards] and len(notes2) == 3


@pytest.mark.slow
def test_practice_plan_typed_through_the_cli(isolated_home):
    assert run_cli(["plan", "--job", str(DATA / "engineering-manager.md"), "--name", "em", "-n", "3"]).returncode == 0
    proc = run_cli(["practice", "--plan", "em", "--type", "--follow-ups", "0"],
                   input="I gave the feedback privately with examples and a plan.\n\nWe used idempotent consumers.\n\nI mentored a junior.\n\n")
    assert proc.returncode == 0, proc.stderr
    assert "mock interview for the Engineering Manager, Data Platform role at Northwind Energy" in " ".join(proc.stdout.split())
    data = json.loads(run_cli(["history", "--plan", "em", "--json"]).stdout)
    assert len(data["attempts"]) == 3 and all(a["overall"] is not None for a in data["attempts"])


# ------------------------------------------------------- LLM-written cards


@dataclass
class ScriptedLLM:
    """An OpenAI-compatible server on 127.0.0.1 whose replies come from
    ``answer(request) -> content``; every request is kept."""

    answer: object
    requests: list[dict] = field(default_factory=list)

    def __enter__(self):
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                llm.requests.append(req)
                content = llm.answer(req)
                body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": req.get("model", "m"),
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def kinds(self) -> list[str]:
        return [kind_of(r) for r in self.requests]


def kind_of(req: dict) -> str:
    system = req["messages"][0]["content"]
    if "question cards" in system:
        return "repair" if "cannot be used yet" in req["messages"][-1]["content"] else "write"
    return "judge"


KP = ["Kafka consumers commit offsets only after the write to Snowflake succeeds",
      "A replayed message is skipped by checking its scan id in a processed table",
      "Late scans are reprocessed by rerunning one event-date partition",
      "Row counts per depot are compared with the scanner totals every hour"]
VAGUE_KP = ["Shows good understanding of streaming", "Communicates clearly", "Mentions relevant details"]


def card_json(title: str, key_points: list[str], sample: str | None = None, answers_to: str = "Kafka topics from the scanners") -> dict:
    sample = sample if sample is not None else ("In my last job I owned the scan pipeline. " + ". ".join(key_points) +
                                                ". That kept the numbers right even when the scanners resent a whole day of events.")
    return {"title": title, "category": "Data & SQL", "difficulty": "Hard",
            "why_asked": "The team runs this exact pipeline and wants to know you can keep it correct.",
            "how_to_answer": "Describe the pipeline, then how you keep it exactly right under replays and late data.",
            "key_points": key_points, "sample_answer": sample,
            "common_mistakes": [{"text": "Claiming Kafka alone gives exactly-once delivery into the warehouse", "kind": "claim", "key_point": None},
                                {"text": "Not explaining how replayed messages are detected", "kind": "omission", "key_point": 2}],
            "tags": ["streaming", "idempotency"], "answers_to": answers_to}


def judge_reply(req: dict, missing: set[int] = frozenset()) -> str:
    """Grade the sample answer in the prompt: each key point covered with a
    verbatim quote (the key point itself), except those in ``missing``."""
    user = req["messages"][1]["content"]
    points = re.findall(r"^\d+\. (.+)$", user.split("Key points")[1].split("Common mistakes")[0], re.M)
    mistakes = re.findall(r"^\d+\. \(", user.split("Common mistakes")[1], re.M)
    return json.dumps({"key_points": [{"index": i, "verdict": "missing" if i in missing else "covered", "quote": "" if i in missing else p.strip()}
                                      for i, p in enumerate(points, 1)],
                       "mistakes": [{"index": i, "verdict": "not_made", "quote": ""} for i in range(1, len(mistakes) + 1)],
                       "structure": 4, "delivery": 4, "coverage": 5, "overall": 90, "top_fixes": [], "improved_answer": ""})


def writer_for(server, monkeypatch):
    from voicecoach.plan.cardgen import CardWriter
    from voicecoach.engines.embed import HashEmbedder
    from voicecoach.judge import FallbackJudge
    from voicecoach.judge.llm_judge import LLMJudge
    from voicecoach.judge.offline import OfflineJudge
    from voicecoach.engines.llm import LiteLLMClient

    client = LiteLLMClient(model="openai/test-model", api_base=server.base, api_key="sk-test-plan-1234567890", timeout_s=20)
    judge = FallbackJudge(LLMJudge(client, "openai/test-model"), lambda: OfflineJudge(HashEmbedder()))
    return CardWriter(client, "openai/test-model", judge)


def build_with(server, monkeypatch, bank, user_bank: Path, new: int = 2):
    docs = plans.read_documents(DATA / "data-engineer.md", resume_of("data-engineer"))
    return plans.build(docs, bank, 8, "de-llm", writer=writer_for(server, monkeypatch), new_cards=new, user_bank=user_bank)


def test_valid_written_cards_are_checked_saved_and_planned(tmp_path, bank, monkeypatch):
    cards = [card_json("Walk me through how you would keep the scanner pipeline from double-counting a delivery.", KP),
             card_json("How would you rebuild the depot dimension when depots merge, without breaking history?",
                       ["Depot changes are kept as type 2 rows with valid-from and valid-to dates",
                        "Fact rows keep the surrogate key of the depot version current at scan time",
                        "A merge closes both old depot rows and opens one new row"], answers_to="slowly changing dimensions for depots and routes")]

    def answer(req):
        return json.dumps({"cards": cards}) if kind_of(req) == "write" else judge_reply(req)

    with ScriptedLLM(answer) as server:
        plan = build_with(server, monkeypatch, bank, tmp_path / "bank")
    assert server.kinds() == ["write", "judge", "judge"]
    sent = server.requests[0]["messages"][1]["content"]
    assert "Tidewater" in sent and "Airflow DAGs" in sent  # the job and the résumé were sent (scrubbed)
    assert len(plan.generated) == 2 and not plan.dropped and len(plan.items) == 8
    from voicecoach.content.questions import load_bank

    mine = load_bank([tmp_path / "bank"])
    assert not mine.problems
    for cid in plan.generated:
        card = mine.get(cid)
        assert card.id.startswith("gen-") and card.origin.generated_by == "openai/test-model"
        assert card.origin.prompt_version == "cardgen-v1" and card.origin.plan == "de-llm"
        assert card.origin.sources == ["data-engineer.md", "data-engineer-resume.txt"]
    new = [i for i in plan.items if i.origin == "generated"]
    assert {i.reason for i in new} == {"Kafka topics from the scanners", "slowly changing dimensions for depots and routes"}
    assert sum(i.category == BH for i in plan.items) >= 1


def test_vague_card_is_repaired_and_a_card_whose_sample_misses_a_point_is_dropped(tmp_path, bank, monkeypatch):
    vague = card_json("Tell me about streaming at Tidewater scale.", VAGUE_KP)
    short = card_json("How do you keep the depot totals right when scans arrive late?", KP,
                      sample="I would rerun partitions. " + KP[0] + ". " + KP[1] + ". " + KP[3] + ". " + "That is all there is to it, really, in my view." * 3)

    def answer(req):
        kind = kind_of(req)
        if kind == "write":
            return json.dumps({"cards": [vague, short]})
        if kind == "repair":
            last = req["messages"][-1]["content"]
            if "Tell me about streaming" in last:  # the vague card comes back with checkable points
                return json.dumps({"cards": [card_json("Tell me about streaming at Tidewater scale.", KP)]})
            return json.dumps({"cards": [short]})  # the same card again: still misses key point 3
        user = req["messages"][1]["content"]
        return judge_reply(req, missing={3} if "scans arrive late" in user else set())

    with ScriptedLLM(answer) as server:
        plan = build_with(server, monkeypatch, bank, tmp_path / "bank")
    # vague: no judge call until repaired; short: judged, repaired, judged again, dropped
    assert server.kinds() == ["write", "repair", "judge", "judge", "repair", "judge"]
    repair_text = server.requests[1]["messages"][-1]["content"]
    assert "vague" in repair_text and "key point 1" in repair_text
    assert "does not clearly state key point 3" in server.requests[4]["messages"][-1]["content"]
    assert len(plan.generated) == 1
    assert [d.title for d in plan.dropped] == ["How do you keep the depot totals right when scans arrive late?"]
    assert "key point 3" in plan.dropped[0].why
    assert len(list((tmp_path / "bank" / "generated").glob("*.yaml"))) == 1


def test_junk_replies_leave_the_offline_plan(tmp_path, bank, monkeypatch):
    with ScriptedLLM(lambda req: "Sure! Here are some great questions: 1. Tell me about Kafka.") as server:
        plan = build_with(server, monkeypatch, bank, tmp_path / "bank")
    assert server.kinds() == ["write", "write"]  # one retry for unusable JSON, then give up
    assert plan.generated == [] and len(plan.items) == 8 and "no new cards" in plan.llm_note
    assert not (tmp_path / "bank" / "generated").exists()

    def half_junk(req):
        if kind_of(req) == "write":
            return json.dumps({"cards": [{"title": "Incomplete card"}]})
        return json.dumps({"cards": []})  # the repair brings nothing back

    with ScriptedLLM(half_junk) as server:
        plan = build_with(server, monkeypatch, bank, tmp_path / "bank")
    assert server.kinds() == ["write", "repair"] and plan.generated == []
    assert [d.title for d in plan.dropped] == ["Incomplete card"] and "key_points" in plan.dropped[0].why


def test_plan_cli_with_a_model_says_what_is_sent(tmp_path, isolated_home):
    cards = [card_json("Walk me through how you would keep the scanner pipeline from double-counting a delivery.", KP)]

    def answer(req):
        return json.dumps({"cards": cards}) if kind_of(req) == "write" else judge_reply(req)

    with ScriptedLLM(answer) as server:
        env = {"VOICECOACH_MODEL": "openai/test-model", "VOICECOACH_API_BASE": server.base, "OPENAI_API_KEY": "sk-test-plan-1234567890",
               "COLUMNS": "80"}
        proc = run_cli(["plan", "--job", str(DATA / "data-engineer.md"), "--resume", str(resume_of("data-engineer")), "--new", "1",
                        "--name", "de"], env=env)
        assert proc.returncode == 0, proc.stderr
        out = " ".join(proc.stdout.split())
        assert "(new)" in out and "New cards written for this job" in out and KP[0] in out
        assert "Sent to openai/test-model: the job description and résumé text (emails, phone numbers and links removed" in out
        doctor = run_cli(["doctor"], env=env).stdout
        assert "plans: Sent to openai/test-model" in doctor
    assert "sk-test-plan" not in proc.stdout + proc.stderr
    assert len(list((isolated_home / "questions" / "generated").glob("gen-*.yaml"))) == 1
