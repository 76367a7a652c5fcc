"""The cards pages: browse and filter the bank, one card, and the card editor
(errors by field from the card's own validation, what was typed kept, a
saved card in the user's bank that the bank and `questions validate` accept,
a built-in card edited as a copy)."""

from __future__ import annotations

import pytest
import yaml
from starlette.testclient import TestClient

from tests.conftest import run_cli
from voicecoach.core.app import App
from voicecoach.content.questions import load_bank, parse_card
from voicecoach.web.security import COOKIE
from voicecoach.web.server import create_app

TOKEN = "t0ken-of-this-run"
ORIGIN = {"origin": "http://testserver"}

GOOD = {
    "id": "my-own-question",
    "title": "How would you explain overfitting to a product manager?",
    "category": "Machine Learning",
    "difficulty": "Easy",
    "why_asked": "Checks that you can explain a core idea to people outside the field.",
    "how_to_answer": "Use an everyday analogy, then say how you detect and prevent it.",
    "key_points": "- The model memorises the training data instead of learning the pattern.\n"
                  "- It scores well on training data and badly on new data.\n\n"
                  "Prevent it with more data, regularisation or a simpler model.",
    "sample_answer": "Overfitting is like a student who memorises last year's exam answers: perfect on those, lost on new "
                     "questions. We catch it by holding out data the model never saw, and prevent it with more data, "
                     "regularisation or a simpler model.",
    "mistake_text_0": "Says that a higher training accuracy always means a better model.",
    "mistake_text_1": "Does not mention checking on held-out data.",
    "mistake_key_point_1": "2",
    "tags": "overfitting, communication",
    "time_limit_s": "",
}


@pytest.fixture
def core(isolated_home):
    return App.from_flags()


@pytest.fixture
def client(core):
    app = create_app(core, TOKEN, {"testserver"})
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        c.cookies.set(COOKIE, TOKEN)
        yield c


def test_browse_and_filter_the_bank(client, core):
    r = client.get("/cards")
    assert r.status_code == 200
    assert f"{len(core.bank.cards)} of {len(core.bank.cards)} cards" in r.text
    assert '/cards/cross-entropy-vs-mse"' in r.text and "Write your own card" in r.text
    r = client.get("/cards", params={"category": "Behavioral"})
    assert "bh-biggest-failure" in r.text and "cross-entropy-vs-mse" not in r.text
    r = client.get("/cards", params={"difficulty": "Hard", "q": "cross entropy"})
    assert all(c.difficulty == "Hard" for c in core.bank.filter(difficulty="Hard", search="cross entropy"))
    r = client.get("/cards", params={"q": "zzzz-nothing-matches"})
    assert "No card matches" in r.text and "/cards/new" in r.text


def test_a_card_page_shows_everything_to_study(client, core):
    card = core.bank.get("cross-entropy-vs-mse")
    r = client.get(f"/cards/{card.id}")
    assert r.status_code == 200
    for text in (card.title, card.key_points[0], card.common_mistakes[0].text, card.sample_answer[:40]):
        assert text.replace("'", "&#39;").replace('"', "&#34;") in r.text
    assert f"/practice/q/{card.id}" in r.text and "Edit a copy" in r.text  # a built-in card
    assert client.get("/cards/no-such-card").status_code == 404


def test_the_editor_shows_errors_by_field_and_keeps_what_was_typed(client, isolated_home):
    bad = dict(GOOD, id="Bad Id!", title="Short", difficulty="Impossible", key_points="ok\nA proper key point here.",
               mistake_text_0="", mistake_text_1="", time_limit_s="soon", sample_answer="Too short.")
    bad["mistake_text_2"] = "Forgets to mention validation."
    bad["mistake_key_point_2"] = "two"
    r = client.post("/cards/new", data=bad, headers=ORIGIN)
    assert r.status_code == 422
    html = r.text
    assert "nothing was saved yet" in html

    def error_of(field):
        marker = f'id="err-{field}">'
        assert marker in html, field
        return html.split(marker, 1)[1].split("</p>", 1)[0]

    assert "lowercase letters, digits and dashes" in error_of("id")
    assert "at least 8 characters" in error_of("title")
    assert "must be Easy, Medium or Hard" in error_of("difficulty")
    assert "key point 1 " in error_of("key_points")  # "ok" is too short; the line is named
    assert "at least 40 characters" in error_of("sample_answer")
    assert "valid integer" in error_of("time_limit_s")
    assert "must be a number" in error_of("mistake_2")
    # everything typed is still there
    assert 'value="Bad Id!"' in html and "Too short.</textarea>" in html and 'value="soon"' in html
    assert 'value="Forgets to mention validation."' in html and 'value="two"' in html
    assert not (isolated_home / "questions").exists() or not list((isolated_home / "questions").iterdir())


def test_a_mistake_pointing_past_the_key_points_is_marked_on_the_mistakes(client):
    r = client.post("/cards/new", data=dict(GOOD, mistake_key_point_1="7"), headers=ORIGIN)
    assert r.status_code == 422
    assert 'id="err-common_mistakes">' in r.text and "refers to key point 7, but the card has 3" in r.text


def test_a_saved_card_is_in_the_bank_and_validates(client, core, isolated_home):
    r = client.post("/cards/new", data=GOOD, headers=ORIGIN)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/cards/my-own-question?saved=saved"
    path = isolated_home / "questions" / "my-own-question.yaml"
    card = parse_card(path)
    assert card.key_points[0] == "The model memorises the training data instead of learning the pattern."  # bullet dropped
    assert len(card.key_points) == 3 and card.tags == ["overfitting", "communication"]
    assert card.common_mistakes[0].kind.value == "claim"
    assert card.common_mistakes[1].kind.value == "omission" and card.common_mistakes[1].key_point == 2
    assert "my-own-question" in core.bank.cards  # the app's bank was reloaded
    page = client.get(r.headers["location"]).text
    assert "Saved to" in page and "yours" in page
    assert "my-own-question" in client.get("/cards", params={"q": "overfitting product"}).text
    proc = run_cli(["questions", "validate"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the same id again is refused, on the id field
    r = client.post("/cards/new", data=GOOD, headers=ORIGIN)
    assert r.status_code == 422 and 'id="err-id">another of your cards already has the id' in r.text
    # edit it in place: the file is replaced, not copied
    edit = client.get("/cards/my-own-question/edit").text
    assert "Edit your card" in edit and 'value="2"' in edit
    r = client.post("/cards/my-own-question/edit", data=dict(GOOD, difficulty="Hard"), headers=ORIGIN)
    assert r.status_code == 303
    assert parse_card(path).difficulty == "Hard" and len(list(path.parent.iterdir())) == 1


def test_editing_a_built_in_card_saves_a_copy(client, core, isolated_home):
    r = client.get("/cards/cross-entropy-vs-mse/edit")
    assert r.status_code == 200
    assert "Save my copy" in r.text and "a copy" in r.text and 'value="cross-entropy-vs-mse-mine"' in r.text
    form = {"id": "cross-entropy-vs-mse"}  # keeping the built-in id is refused
    original = core.bank.get("cross-entropy-vs-mse")
    base = {"title": original.title + " (mine)", "category": original.category, "difficulty": original.difficulty,
            "why_asked": original.why_asked, "how_to_answer": original.how_to_answer, "key_points": "\n".join(original.key_points),
            "sample_answer": original.sample_answer, "tags": "", "time_limit_s": ""}
    for i, m in enumerate(original.common_mistakes):
        base[f"mistake_text_{i}"] = m.text
        base[f"mistake_kind_{i}"] = m.kind.value
        base[f"mistake_key_point_{i}"] = str(m.key_point or "")
    r = client.post("/cards/cross-entropy-vs-mse/edit", data=dict(base, **form), headers=ORIGIN)
    assert r.status_code == 422 and "a built-in card already has the id" in r.text
    r = client.post("/cards/cross-entropy-vs-mse/edit", data=dict(base, id="cross-entropy-vs-mse-mine"), headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].endswith("saved=copy")
    assert "The built-in card it was copied from is unchanged" in client.get(r.headers["location"]).text
    bank = load_bank([isolated_home / "questions"])
    assert not bank.problems
    assert bank.get("cross-entropy-vs-mse").title == original.title
    assert bank.get("cross-entropy-vs-mse-mine").common_mistakes == original.common_mistakes
    saved = yaml.safe_load((isolated_home / "questions" / "cross-entropy-vs-mse-mine.yaml").read_text())
    assert list(saved)[:4] == ["id", "title", "category", "difficulty"]


def test_saving_needs_the_apps_origin(client, isolated_home):
    assert client.post("/cards/new", data=GOOD).status_code == 403
    assert client.post("/cards/new", data=GOOD, headers={"origin": "http://attacker.example"}).status_code == 403
    assert not (isolated_home / "questions" / "my-own-question.yaml").exists()


def test_renaming_your_card_moves_its_file(client, core, isolated_home):
    assert client.post("/cards/new", data=GOOD, headers=ORIGIN).status_code == 303
    r = client.post("/cards/my-own-question/edit", data=dict(GOOD, id="my-renamed-question"), headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"] == "/cards/my-renamed-question?saved=saved"
    files = sorted(p.name for p in (isolated_home / "questions").iterdir())
    assert files == ["my-renamed-question.yaml"]
    assert client.get("/cards/my-own-question").status_code == 404
    assert "my-renamed-question" in core.bank.cards and not core.bank.problems
