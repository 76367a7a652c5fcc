"""The history and cards pages in a real browser (Debian's Chromium driven by
Playwright): every page at 1280 and 400 px wide, each saved as a screenshot
(to $VOICECOACH_ARTIFACTS or tests/artifacts/), the empty states, a click on
a word seeking the recording, a delete through the page, and the card
editor submitted with errors and then fixed. Page-load times are written to
page_times.json beside the screenshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import browser as browser_helpers
from tests.test_history import STRONG, WEAK
from tests.test_orchestration import fake_record, make_coach
from voicecoach.core.coach import AnswerInput

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TOKEN = "browser-test-token"
WIDTHS = {"wide": 1280, "narrow": 400}


def artifacts() -> Path:
    return browser_helpers.artifacts("pages")


@pytest.fixture
def server(isolated_home):
    """The real app behind uvicorn on a free port of 127.0.0.1, in a thread."""
    with browser_helpers.serve(token=TOKEN) as (base, _core):
        yield base


@pytest.fixture
def browser():
    with browser_helpers.chromium() as b:
        yield b


def fill_store(tmp_path, bank, monkeypatch) -> dict:
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, text=STRONG, speak=False, record=fake_record(30))
    sid = coach.store.new_session("practice")
    ce = bank.get("cross-entropy-vs-mse")
    out = {"weak": coach.attempt(ce, AnswerInput(text=WEAK), sid), "strong": coach.attempt(ce, AnswerInput(text=STRONG), sid),
           "other": coach.attempt(bank.get("mla-l1-vs-l2"), AnswerInput(text="Regularization adds a penalty to the loss."), sid)}
    out["spoken"] = coach.attempt(ce, AnswerInput(), coach.store.new_session("practice"))
    coach.store.close()
    return out


WIDER = """() => { const w = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.right > w + 1) out.push(`${el.tagName}.${el.className} right ${Math.round(r.right)}`); }
  return out.slice(0, 8); }"""


def assert_fits(page, what: str) -> None:
    """Nothing sticks out sideways (a narrow window must not scroll horizontally)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{what}: {overflow} px too wide: {page.evaluate(WIDER)}"


class Pages:
    """One browser page per width; visits, timings and screenshots."""

    def __init__(self, browser, base: str):
        self.base = base
        self.pages = {}
        self.times: dict[str, float] = {}
        for name, width in WIDTHS.items():
            ctx = browser.new_context(viewport={"width": width, "height": 900})
            page = ctx.new_page()
            page.goto(f"{base}/?token={TOKEN}")  # the token becomes a cookie
            self.pages[name] = page

    def visit(self, shot: str, path: str, check: str | None = None) -> None:
        for name, page in self.pages.items():
            response = page.goto(self.base + path)
            assert response is not None and response.status == 200, (path, response and response.status)
            if check:
                assert check in page.content(), (path, check)
            nav = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
            timing = json.loads(nav)
            if name == "wide":
                self.times[shot] = round(timing["loadEventEnd"] - timing["startTime"], 1)
            assert_fits(page, f"{path} at {WIDTHS[name]} px")
            page.screenshot(path=str(artifacts() / f"{shot}-{name}.png"), full_page=True)


def test_history_and_cards_pages_in_a_browser(server, browser, tmp_path, bank, monkeypatch):
    pages = Pages(browser, server)
    # empty states first
    pages.visit("history-empty", "/history", "No attempts yet: practise a question")
    pages.visit("review-empty", "/review", "Nothing to review yet")
    pages.visit("compare-empty", "/compare", "Nothing to compare yet")

    made = fill_store(tmp_path, bank, monkeypatch)
    weak, strong, spoken = made["weak"].attempt_id, made["strong"].attempt_id, made["spoken"].attempt_id
    pages.visit("history", "/history", "By category")
    pages.visit("history-card", "/history?card=cross-entropy-vs-mse", "Key points of this question")
    pages.visit("history-filtered-none", "/history?status=interrupted", "No attempts match these filters")
    pages.visit("attempt-spoken", f"/attempts/{spoken}", "What you said, in time")
    pages.visit("attempt-typed", f"/attempts/{strong}", "Compare with the previous attempt")
    pages.visit("compare", f"/compare?a={weak}&b={strong}", "Gained")
    pages.visit("compare-pick", "/compare", "Pick a question")
    pages.visit("review", "/review", "Practise this")
    pages.visit("cards", "/cards", "Write your own card")
    pages.visit("cards-filtered", "/cards?category=Behavioral&difficulty=Medium")
    pages.visit("card", "/cards/cross-entropy-vs-mse", "Show the sample answer")
    pages.visit("card-new", "/cards/new", "Write your own card")
    pages.visit("card-edit-builtin", "/cards/cross-entropy-vs-mse/edit", "Save my copy")

    page = pages.pages["wide"]
    # a click on a word of the transcript seeks the recording (when the audio route serves it)
    page.goto(f"{server}/attempts/{spoken}")
    page.wait_for_function("document.querySelector('.attempt audio').readyState >= 1")
    word = page.locator(".transcript .w").nth(10)
    start = float(word.get_attribute("data-start"))
    word.click()
    page.wait_for_function(f"Math.abs(document.querySelector('.attempt audio').currentTime - {start}) < 1.5")
    page.wait_for_selector(".transcript .w.now", timeout=5000)  # the word playing is highlighted

    # the card editor with errors: each shown at its field, the typed text kept
    for name, p in pages.pages.items():
        p.goto(f"{server}/cards/new")
        p.fill("#title", "Short")
        p.fill("#id", "Not An Id")
        p.fill("#key_points", "ok\nA proper key point that is long enough.")
        p.fill("#sample_answer", "Too short.")
        p.fill("input[name=mistake_text_0]", "Says something wrong about it.")
        p.fill("input[name=mistake_key_point_0]", "x")
        p.click("button[type=submit]")
        p.wait_for_selector(".error-summary")
        for field in ("title", "id", "category", "why_asked", "how_to_answer", "key_points", "sample_answer", "mistake_0"):
            assert p.locator(f"#err-{field}").is_visible(), field
        assert p.input_value("#title") == "Short" and p.input_value("#sample_answer") == "Too short."
        assert p.get_attribute("#title", "aria-invalid") == "true"
        assert_fits(p, f"the editor with errors at {WIDTHS[name]} px")
        p.screenshot(path=str(artifacts() / f"card-errors-{name}.png"), full_page=True)

    # fixed and saved: the card page says where, and it is among the cards
    p = pages.pages["wide"]
    p.fill("#title", "How would you explain overfitting to a product manager?")
    p.fill("#id", "my-overfitting-question")
    p.fill("#category", "Machine Learning")
    p.fill("#why_asked", "Checks that you can explain a core idea to people outside the field.")
    p.fill("#how_to_answer", "Use an everyday analogy, then say how you detect and prevent it.")
    p.fill("#key_points", "The model memorises the training data.\nIt does well on training data and badly on new data.")
    p.fill("#sample_answer", "Overfitting is like memorising last year's exam: perfect on it, lost on new questions.")
    p.fill("input[name=mistake_key_point_0]", "")
    p.click("button[type=submit]")
    p.wait_for_url("**/cards/my-overfitting-question?saved=saved")
    assert "Saved to" in p.content()
    p.screenshot(path=str(artifacts() / "card-saved-wide.png"), full_page=True)
    p.goto(f"{server}/cards?q=overfitting+product")
    assert p.locator("a[href='/cards/my-overfitting-question']").count() == 1

    # delete through the page (a POST from the app's own origin), confirmed first
    p.goto(f"{server}/attempts/{weak}")
    p.click("text=Delete this attempt…")
    p.screenshot(path=str(artifacts() / "attempt-delete-confirm-wide.png"), full_page=True)
    p.click("text=Yes, delete this attempt")
    p.wait_for_url("**/history?deleted=attempt*")
    assert "Deleted the attempt" in p.content() and weak not in p.content()

    (artifacts() / "page_times.json").write_text(json.dumps(pages.times, indent=1))
    slow = {k: v for k, v in pages.times.items() if v > 2000}
    assert not slow, f"pages slower than 2 s to load: {slow}"
