"""The app in a real browser: headless Chromium (Debian's, via Playwright) against a real store.

Screenshots land in test-artifacts/ at the repo root. Without Chromium the tests skip, or
fail under CI=1: run `bash scripts/install-test-deps.sh`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import free_port
from ui_store import build_store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
HOSTILE_NOTE = """---
rep: Nora Quill
date: 2026-09-03
account: Lantern Bikes
call_type: discovery
---
Discovery with the operations lead at Lantern Bikes. <script>window.__pwned = 1</script> The buyer said
<img src=x onerror="window.__pwned = 2"> onboarding takes two weeks per new rider and the backlog
costs them three lost contracts a quarter.
"""
UPLOADED_NOTE = """---
rep: Dana Okafor
date: 2026-10-20
account: Harbor Light Ferries
call_type: discovery
---
Dana asked who else feels it when a sailing is cancelled; the buyer said the call centre takes the heat.
"""


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Chromium is not installed; run: bash scripts/install-test-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path




@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`coach ui`'s app on a free loopback port, over playbooks and a few call notes."""
    chromium()
    from ui.app import serve, warm_up

    root = tmp_path_factory.mktemp("ui-browser")
    kb = build_store(root, HOSTILE_NOTE)
    warm_up(kb)
    app, url = serve(kb, host="127.0.0.1", port=free_port())
    yield url, root, kb
    app.close()
    kb.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server[0])
    page.locator("#coach-question textarea").wait_for()
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def ask(page, question: str) -> None:
    box = page.locator("#coach-question textarea")
    box.fill(question)
    box.press("Enter")


def open_tab(page, name: str) -> None:
    """Click a tab; on a narrow screen the last tabs sit in gradio's "More tabs" menu."""
    tab = page.get_by_role("tab", name=name)
    if tab.count():
        tab.click()
        return
    page.get_by_role("button", name="More tabs").click()
    page.locator(".overflow-dropdown button", has_text=name).click()


def settle(page, read, expected, timeout: float = 30.0):
    """Poll ``read()`` until it equals ``expected`` (the UI updates asynchronously); return the last value."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value == expected or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(150)


DRAWN_POINTS = """() => {
  if (document.querySelector('#coach-chart .coach-chart-empty')) return {};
  const svg = document.querySelector('#coach-chart svg.coach-chart-svg');
  if (!svg) return null;
  const top = +svg.dataset.yTop, bottom = +svg.dataset.yBottom, drawn = {};
  for (const dot of svg.querySelectorAll('circle.coach-point')) {
    const value = (bottom - +dot.getAttribute('cy')) / (bottom - top);  // read back from the drawing
    (drawn[dot.dataset.series] ??= {})[dot.dataset.week] = Math.round(value * 1000) / 1000;
  }
  return drawn;
}"""


def test_ask_shows_a_cited_answer_and_its_source_and_survives_a_reload(page):
    from playwright.sync_api import expect

    ask(page, "How do I handle a timing objection?")
    panel = page.locator("#coach-sources-panel")
    expect(panel.get_by_text("Sources ·")).to_be_visible()
    expect(page.locator("#coach-chat")).to_contain_text("Acknowledge")
    expect(page.locator("#coach-chat")).to_contain_text("[1]")
    expect(panel).to_contain_text("discovery-coach.md")
    expect(panel).to_contain_text("Objection Handling: The AECR Framework")
    expect(panel.locator("mark").first).to_contain_text("Acknowledge")
    shot(page, "ask-cited-answer.png")
    page.reload()
    expect(page.locator("#coach-chat")).to_contain_text("How do I handle a timing objection?")
    expect(panel.locator("mark").first).to_be_visible()


def test_a_follow_up_is_understood_in_context_of_the_conversation(page):
    from playwright.sync_api import expect

    ask(page, "How do I handle a timing objection?")
    panel = page.locator("#coach-sources-panel")
    expect(panel).to_contain_text("Objection Handling: The AECR Framework")
    ask(page, "what if it's budget instead?")
    chat = page.locator("#coach-chat")
    expect(chat).to_contain_text("Understood as: How do I handle a budget objection?")
    expect(panel).to_contain_text("Objection Distribution (What You Will Hear Most)")
    expect(panel.locator("mark").first).to_contain_text("Budget")
    shot(page, "ask-follow-up.png")


def test_markup_in_a_note_renders_inert(page):
    from playwright.sync_api import expect

    ask(page, "What did the buyer at Lantern Bikes say about onboarding?")
    panel = page.locator("#coach-sources-panel")
    expect(panel).to_contain_text("Lantern Bikes")
    expect(panel).to_contain_text("<script>window.__pwned = 1</script>")
    expect(page.locator("#coach-chat")).to_contain_text("<script>")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#coach-sources-panel script, #coach-sources-panel img, #coach-chat img[src=x]").count() == 0


def test_the_chart_draws_the_gap_rate_for_the_current_filters(page, server):
    """Each filter change redraws the chart with the server's values for that filter."""
    from playwright.sync_api import expect

    from ui import coaching

    kb = server[2]
    open_tab(page, "Observations")
    page.locator("#coach-obs-rep input").click()
    page.get_by_role("option", name="Dana Okafor", exact=True).click()

    def check(polarity: str, date_from: str = "", date_to: str = "", one_offs: bool = False) -> dict:
        view = coaching.observations_view(kb, "Dana Okafor", None, polarity, date_from, date_to, one_offs)
        expected = view.chart.values()
        drawn = settle(page, lambda: page.evaluate(DRAWN_POINTS), expected)
        assert drawn == expected, (polarity, date_from, date_to, one_offs)
        return drawn

    every = check("")
    assert every and any(1.0 in weeks.values() for weeks in every.values())
    expect(page.locator("#coach-chart figcaption")).to_contain_text("Gap rate by week")
    session = page.locator("#coach-chart g.coach-session[data-date='2026-09-21']")
    expect(session).to_have_count(1)  # Dana's coaching session on pitching, marked on the chart
    expect(session.locator("title")).to_contain_text("Ask at least three follow-up questions")
    shot(page, "observations-chart.png")
    polarity = page.locator("#coach-obs-polarity")
    polarity.get_by_text("Gaps", exact=True).click()
    check("gap")
    polarity.get_by_text("Strengths", exact=True).click()
    strengths = check("strength")
    assert strengths and strengths != every  # the share showing the strength, not the gap rate
    page.get_by_label("Include one-off facts").check()
    assert len(check("strength", one_offs=True)) > len(strengths)
    page.get_by_label("Include one-off facts").uncheck()
    expect(page.locator("#coach-chart figcaption")).to_contain_text("showing the strength")
    polarity.get_by_text("All", exact=True).click()
    check("")
    page.locator("#coach-obs-from input").fill("2026-10-01")
    page.locator("#coach-obs-from input").press("Enter")
    late = check("", "2026-10-01")
    assert late and all(week >= "2026-09-28" for weeks in late.values() for week in weeks)
    expect(page.locator("#coach-chart g.coach-session")).to_have_count(0)
    page.locator("#coach-obs-to input").fill("next tuesday")
    page.locator("#coach-obs-to input").press("Enter")
    expect(page.locator("#coach-obs-message")).to_contain_text(
        "To date 'next tuesday' is not a date; write it as 2026-09-01")


def test_upload_a_call_note_and_see_it_reported(page, server, tmp_path):
    from playwright.sync_api import expect

    note = tmp_path / "harbor-light.md"
    note.write_text(UPLOADED_NOTE)
    open_tab(page, "Knowledge")
    page.locator("#coach-upload input[type=file]").set_input_files(str(note))
    expect(page.locator("#coach-upload")).to_contain_text("harbor-light.md")
    page.locator("#coach-ingest").click()
    report = page.locator("#coach-report")
    expect(report).to_contain_text("added")
    expect(report).to_contain_text("harbor-light.md")
    expect(page.get_by_text("Ingest finished:")).to_be_visible()
    uploaded = list((server[1] / ".coach" / "uploads" / "calls").iterdir())
    assert len(uploaded) == 1 and re.fullmatch(r"[0-9a-f]{12}-harbor-light\.md", uploaded[0].name)
    shot(page, "knowledge-upload.png")


def test_observations_filter_by_rep_with_evidence_and_chart(page):
    from playwright.sync_api import expect

    open_tab(page, "Observations")
    page.locator("#coach-obs-rep input").click()
    page.get_by_role("option", name="Dana Okafor", exact=True).click()
    table = page.locator("#coach-obs-table")
    expect(table.locator("[data-testid=cell-0-0]")).to_contain_text("Dana Okafor")
    expect(page.locator("#coach-chart")).to_contain_text("Dana Okafor")
    table.locator("[data-testid=cell-0-3]").click()
    evidence = page.locator("#coach-evidence")
    expect(evidence.locator("blockquote").first).to_be_visible()
    expect(evidence).to_contain_text("dana-okafor")
    expect(page.locator("#coach-chart canvas, #coach-chart svg").first).to_be_visible()
    shot(page, "observations.png")


def test_mental_models_render_with_sources(page):
    from playwright.sync_api import expect

    open_tab(page, "Mental models")
    document = page.locator("#coach-model-doc")
    expect(document.get_by_role("heading", name="Discovery Playbook")).to_be_visible()
    expect(document).to_contain_text("refreshed")
    expect(page.locator("#coach-model-sources")).to_contain_text("[1]")
    page.locator("#coach-model-pick").get_by_text("Coaching Themes").click()
    expect(document.get_by_role("heading", name="Coaching Themes")).to_be_visible()
    page.locator("#coach-model-pick").get_by_text("Discovery Playbook").click()
    expect(document.get_by_role("heading", name="Discovery Playbook")).to_be_visible()
    shot(page, "mental-model.png")


def test_sources_render_as_markdown_and_answer_markers_link_to_their_cards(page):
    from playwright.sync_api import expect

    panel = page.locator("#coach-sources-panel")
    ask(page, "How do I handle a timing objection?")
    expect(panel.locator(".coach-sources-question")).to_contain_text("How do I handle a timing objection?")
    ask(page, "what if it's budget instead?")
    expect(panel.locator(".coach-sources-question")).to_contain_text("what if it's budget instead?")
    expect(panel.locator("table th").first).to_have_text("Category")  # the playbook's table, drawn as one
    expect(panel.locator("table td mark").first).to_be_visible()
    shown = panel.inner_text()
    for raw in ("|---", "| Category |", "**", "```"):
        assert raw not in shown, raw
    answers = page.locator("#coach-chat [data-testid=bot]")
    expect(answers).to_have_count(2)
    latest = answers.nth(1).locator("a.coach-cite").first
    number = latest.get_attribute("data-n")
    latest.hover()
    hovered = panel.locator(".coach-source.coach-hover")
    expect(hovered).to_have_count(1)
    assert number in hovered.get_attribute("data-refs").split()
    earlier = answers.nth(0).locator("a.coach-cite[data-n='3']")
    earlier.click()
    expect(panel.locator(".coach-sources-question")).to_contain_text("How do I handle a timing objection?")
    focused = panel.locator(".coach-source.coach-focus")
    expect(focused).to_have_count(1)
    assert "3" in focused.get_attribute("data-refs").split()
    expect(focused).to_be_focused()
    shot(page, "ask-marker-linked.png")


TAB_CONTENT = {  # what shows once each tab has loaded
    "Ask": "#coach-sources-panel .coach-source",
    "Observations": "#coach-chart svg.coach-chart-svg",
    "Mental models": "#coach-model-doc h1",
    "Knowledge": "#coach-store-summary strong",
    "Evals": "#coach-eval-run",
}


@pytest.mark.parametrize("width", [1400, 390])
def test_every_tab_fits_the_screen_without_sideways_scrolling(browser, server, width):
    """Each tab at desktop and phone width: no horizontal scroll; a screenshot of each."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server[0])
        ask(page, "How do I handle a timing objection?")
        for name, content in TAB_CONTENT.items():
            open_tab(page, name)
            expect(page.locator(content).first).to_be_visible()
            page.wait_for_timeout(300)  # let late layout (tables measuring themselves) settle
            widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
            shot(page, f"tab-{name.lower().replace(' ', '-')}-{width}.png")
            assert widths[0] <= widths[1], f"{name} at {width} px scrolls sideways: {widths[0]} > {widths[1]}"
    finally:
        context.close()


COUNT_PROGRESS = """() => {  // the most progress overlays on screen at one time, from now on
  window.__coachOverlays = 0;
  const tick = () => {
    const shown = document.querySelectorAll('[data-testid=status-tracker]:not(.hide)').length;
    window.__coachOverlays = Math.max(window.__coachOverlays, shown);
    requestAnimationFrame(tick);
  };
  tick();
}"""


def pick(page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_knowledge_tab_shows_relative_paths_confirms_removal_and_can_undo_it(page, server, tmp_path):
    from playwright.sync_api import expect

    open_tab(page, "Knowledge")
    note_box = page.locator("#coach-ingest-note")
    page.locator("#coach-ingest").click()
    expect(note_box).to_contain_text("Choose one or more files first.")
    note = tmp_path / "pier-nine.md"
    note.write_text(UPLOADED_NOTE.replace("2026-10-20", "2026-10-27").replace("Harbor Light Ferries", "Pier Nine"))
    page.locator("#coach-upload input[type=file]").set_input_files(str(note))
    expect(note_box).not_to_contain_text("Choose one or more files first.")  # the stale message went
    page.evaluate(COUNT_PROGRESS)
    page.locator("#coach-ingest").click()
    report = page.locator("#coach-report")
    expect(report).to_contain_text("uploads/calls/pier-nine.md")  # no server path, no unique-name prefix
    assert page.evaluate("window.__coachOverlays") == 1  # one progress indicator, on the report
    store = page.locator("#coach-store")
    expect(store).to_contain_text("playbooks/discovery-coach.md")
    listed = store.inner_text()
    assert str(server[1]) not in listed and "knowledge/" not in listed
    assert not re.search(r"[0-9a-f]{12}-", listed)
    pick(page, "#coach-remove-pick", "uploads/calls/pier-nine.md")
    page.locator("#coach-remove").click()
    question = page.locator("#coach-remove-question")
    expect(question).to_contain_text("Remove the call-note file uploads/calls/pier-nine.md")
    expect(store).to_contain_text("uploads/calls/pier-nine.md")  # nothing removed before the answer
    page.locator("#coach-remove-cancel").click()
    expect(question).to_be_hidden()
    expect(store).to_contain_text("uploads/calls/pier-nine.md")
    page.locator("#coach-remove").click()
    page.locator("#coach-remove-confirm").click()
    expect(page.locator("#coach-remove-note")).to_contain_text("Removed uploads/calls/pier-nine.md.")
    expect(store).not_to_contain_text("uploads/calls/pier-nine.md")
    shot(page, "knowledge-removed.png")
    page.locator("#coach-remove-undo").click()
    expect(page.locator("#coach-remove-note")).to_contain_text("uploads/calls/pier-nine.md is back in the store.")
    expect(store).to_contain_text("uploads/calls/pier-nine.md")
    expect(page.locator("#coach-remove-undo")).to_be_hidden()


def test_ask_tab_comment_box_label_and_thanks_behave(page, server):
    from playwright.sync_api import expect

    comment = page.locator("#coach-comment")
    expect(comment).to_be_hidden()  # nothing to comment on yet
    ask(page, "How do I handle a timing objection?")
    expect(comment).to_be_visible()
    chat = page.locator("#coach-chat")
    first = chat.locator("[data-testid=user]").first
    expect(first).to_be_visible()
    line = first.bounding_box()
    for cover in (chat.locator("label[data-testid=block-label]"), chat.get_by_role("button", name="Clear")):
        box = cover.bounding_box()
        overlaps = (box["x"] < line["x"] + line["width"] and line["x"] < box["x"] + box["width"]
                    and box["y"] < line["y"] + line["height"] and line["y"] < box["y"] + box["height"])
        assert not overlaps, (box, line)
    comment.locator("textarea").fill("should mention the budget cycle question")
    chat.get_by_role("button", name="Dislike").click()
    thanks = page.locator("#coach-feedback-note")
    expect(thanks).to_contain_text("Thanks")
    ask(page, "What goes in the first two minutes of a discovery call?")
    expect(chat.locator("[data-testid=bot]")).to_have_count(2)
    expect(thanks).not_to_contain_text("Thanks")


def test_evals_tab_runs_the_fast_evaluation_and_lists_thumbs_down_answers(page, server):
    from playwright.sync_api import expect

    from evals.ratings import FeedbackLog

    FeedbackLog(server[2].data_dir).record(question="What do we charge for a pilot?", answer="No idea.",
                                           grounded=False, rating="down", comment="should say prices are not held")
    open_tab(page, "Evals")
    disliked = page.locator("#coach-thumbs-down")
    expect(disliked).to_contain_text("What do we charge for a pilot?")
    expect(disliked).to_contain_text("should say prices are not held")
    page.locator("#coach-eval-run").click()
    expect(page.locator("#coach-eval-summary")).to_contain_text("Fast evaluation finished")
    metrics = page.locator("#coach-eval-metrics")
    expect(metrics).to_contain_text("hit@1")
    expect(metrics).to_contain_text("mental_model_coverage")
    page.get_by_role("button", name="Export thumbs-down questions").click()
    exported = page.locator("#coach-export-note")
    expect(exported).to_contain_text(re.compile(r"Wrote \d+ questions? to feedback-eval-questions\.jsonl"))
    assert str(server[1]) not in exported.inner_text() and "/" not in exported.inner_text().split(".jsonl")[0]
    shot(page, "evals-run.png")
