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
    card = panel.locator(".coach-source", has_text="Lantern Bikes").first
    card.get_by_role("button", name="Whole document").click()  # the whole note, read through the store
    viewer = page.locator("#coach-doc-view .coach-doc-modal")
    expect(viewer.locator(".coach-doc-title")).to_have_text("calls/2026-09-03-nora-quill-lantern-bikes.md")
    expect(viewer).to_contain_text("<script>window.__pwned = 1</script>")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#coach-doc-view script, #coach-doc-view img").count() == 0


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
    # the file widget may show the name as stem and extension apart ("harbor-light .md")
    expect(page.locator("#coach-upload")).to_contain_text(re.compile(r"harbor-light\s*\.md"))
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
    "Observations": "#coach-scorecard .coach-scorecard-table",
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
        for name, show in VIEWS.items():
            show(page)
            page.wait_for_timeout(300)
            widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
            shot(page, f"view-{name}-{width}.png")
            assert widths[0] <= widths[1], f"{name} at {width} px scrolls sideways: {widths[0]} > {widths[1]}"
    finally:
        context.close()


def _rep_scorecard_and_session(page) -> None:
    from playwright.sync_api import expect

    open_tab(page, "Observations")
    pick(page, "#coach-obs-rep", "Dana Okafor")
    expect(page.locator("#coach-scorecard .coach-scorecard-card")).to_be_visible()
    page.locator("#coach-interventions [data-testid=cell-0-0]").click()
    expect(page.locator("#coach-intervention-detail .coach-calls").first).to_be_visible()


def _model_history(page) -> None:
    from playwright.sync_api import expect

    open_tab(page, "Mental models")
    page.locator("#coach-model-history-box").get_by_text("Version history").click()
    expect(page.locator("#coach-model-history li.coach-added").first).to_be_visible()


def _whole_document(page) -> None:
    from playwright.sync_api import expect

    page.locator("#coach-model-source-1").get_by_role("button", name="Whole document").click()
    expect(page.locator("#coach-doc-view .coach-doc-modal table").first).to_be_visible()


def _notes_search(page) -> None:
    from playwright.sync_api import expect

    page.keyboard.press("Escape")
    open_tab(page, "Knowledge")
    page.locator("#coach-notes-search textarea, #coach-notes-search input").first.fill("dana")
    expect(page.locator("#coach-notes-note")).to_contain_text("match")


VIEWS = {  # views inside the tabs, in this order, after the tabs themselves
    "observations-rep": _rep_scorecard_and_session,
    "model-history": _model_history,
    "whole-document": _whole_document,
    "knowledge-notes": _notes_search,
}


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

    FeedbackLog(server[2].store.feedback_path).record(question="What do we charge for a pilot?", answer="No idea.",
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


def test_the_scorecard_shows_every_rep_then_the_chosen_rep_in_full(page, server):
    from playwright.sync_api import expect

    from ui import coaching, scorecard

    kb = server[2]
    open_tab(page, "Observations")
    every = page.locator("#coach-scorecard .coach-scorecard-table")
    expect(every.locator("tbody tr")).to_have_count(len(kb.reps()))
    dana = every.locator("tr[data-rep='Dana Okafor']")
    expect(dana).to_contain_text("Pitching before discovery is done: gap, then strength after coaching on 2026-09-21")
    expect(dana).to_contain_text("2026-09-21")
    expect(every.locator("tr[data-rep='Nora Quill']")).to_contain_text("no coaching yet")
    pick(page, "#coach-obs-rep", "Dana Okafor")
    card = page.locator("#coach-scorecard .coach-scorecard-card[data-rep='Dana Okafor']")
    (expected,) = scorecard.scorecards(kb, "Dana Okafor", coaching.theme_labels(kb))
    expect(card.locator(".coach-scorecard-turned li")).to_have_count(len(expected.turned))
    expect(card.locator(".coach-scorecard-turned")).to_contain_text(
        "Pitching before discovery is done — gap, then strength after coaching on 2026-09-21")
    coached = card.locator(".coach-scorecard-coaching")
    expect(coached).to_contain_text(f"Last coaching: {expected.last_coaching}")
    expect(coached.locator("li", has_text="Pitching before discovery is done")).to_contain_text("helped")
    expect(card.locator(".coach-scorecard-gap li, .coach-scorecard-strength li")).to_have_count(
        max(1, len(expected.gaps)) + max(1, len(expected.strengths)))  # an empty part says so in one line
    shot(page, "observations-scorecard.png")


def test_a_scorecard_row_picks_that_rep(page, server):
    from playwright.sync_api import expect

    open_tab(page, "Observations")
    pick(page, "#coach-obs-rep", "All reps")
    every = page.locator("#coach-scorecard .coach-scorecard-table")
    every.locator("tr[data-rep='Dana Okafor'] td").first.click()
    expect(page.locator("#coach-scorecard .coach-scorecard-card[data-rep='Dana Okafor']")).to_be_visible()
    expect(page.locator("#coach-obs-rep input")).to_have_value("Dana Okafor")
    table = page.locator("#coach-obs-table")
    expect(table.locator("[data-testid=cell-0-0]")).to_contain_text("Dana Okafor")
    first_column = table.locator("[data-testid^='cell-'][data-testid$='-0']")
    reps = {first_column.nth(i).inner_text().strip() for i in range(first_column.count())}
    assert reps == {"Dana Okafor"}, reps  # the observations follow the pick, as with the Rep filter


def test_an_intervention_row_shows_the_calls_before_and_after_and_opens_them(page, server):
    from playwright.sync_api import expect

    from ui import coaching

    kb = server[2]
    open_tab(page, "Observations")
    pick(page, "#coach-obs-rep", "Dana Okafor")
    _, items, _ = coaching.interventions_listed(kb, "Dana Okafor")
    row = next(n for n, i in enumerate(items) if i.theme == "pitching-too-early")
    table = page.locator("#coach-interventions")
    expect(table.locator(f"[data-testid=cell-{row}-2]")).to_contain_text("Pitching before discovery is done")
    table.locator(f"[data-testid=cell-{row}-3]").click()
    detail = page.locator("#coach-intervention-detail")
    before, after = detail.locator(".coach-calls-before .coach-call"), detail.locator(".coach-calls-after .coach-call")
    expect(before).to_have_count(items[row].before.calls)
    expect(after).to_have_count(items[row].after.calls)
    dates = [before.nth(n).get_attribute("data-date") for n in range(before.count())]
    later = [after.nth(n).get_attribute("data-date") for n in range(after.count())]
    assert dates == sorted(dates) and dates[-1] < "2026-09-21" <= later[0], (dates, later)
    expect(before.first).to_contain_text("Tidewater Cold Chain")
    expect(after.first.locator(".coach-badge")).to_have_text("strength")
    shot(page, "observations-intervention-calls.png")
    before.first.get_by_role("button", name="Whole document").click()
    viewer = page.locator("#coach-doc-view .coach-doc-modal")
    expect(viewer.locator(".coach-doc-title")).to_have_text("calls/2026-09-01-dana-okafor-tidewater-cold-chain.md")
    expect(viewer).to_contain_text("Tidewater Cold Chain: first discovery call")
    expect(viewer.locator(".coach-doc-close")).to_be_focused()
    assert str(server[1]) not in viewer.inner_text()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()


def test_model_markers_link_to_their_cards_and_history_is_a_change_list(page, server):
    from playwright.sync_api import expect

    open_tab(page, "Mental models")
    document = page.locator("#coach-model-doc")
    expect(document.get_by_role("heading", name="Discovery Playbook")).to_be_visible()
    marker = document.locator("a.coach-mcite[data-n='3']").first
    marker.hover()
    card = page.locator("#coach-model-source-3")
    expect(card).to_have_class(re.compile(r"\bcoach-hover\b"))
    marker.click()
    expect(card).to_have_class(re.compile(r"\bcoach-focus\b"))
    expect(card).to_be_focused()
    expect(card).to_be_in_viewport()
    card.hover()
    expect(document.locator("a.coach-mcite.coach-cite-on[data-n='3']")).to_have_count(1)
    page.locator("#coach-model-history-box").get_by_text("Version history").click()
    history = page.locator("#coach-model-history")
    added = history.locator("li.coach-added")
    expect(added.first).to_be_visible()
    assert history.locator("pre, code.language-diff").count() == 0
    lines = added.all_inner_texts()
    assert lines and not any(line.startswith(("+", "-")) for line in lines)
    overflowing = history.evaluate("(h) => Array.from(h.querySelectorAll('li')).filter("
                                   "(li) => li.scrollWidth > li.clientWidth + 1).length")
    assert overflowing == 0  # long lines wrap
    shot(page, "mental-model-history.png")
    page.locator("#coach-model-source-1").get_by_role("button", name="Whole document").click()
    viewer = page.locator("#coach-doc-view .coach-doc-modal")
    expect(viewer.locator(".coach-doc-title")).to_have_text("playbooks/discovery-coach.md")
    expect(viewer.get_by_role("heading", name="2. Gap Selling (Keenan)")).to_be_visible()
    expect(viewer.locator("table th").first).to_be_visible()  # the playbook's tables drawn as tables
    assert "|---" not in viewer.inner_text() and str(server[1]) not in viewer.inner_text()
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_be_hidden()
    page.locator("#coach-model-source-1").get_by_role("button", name="Whole document").click()
    expect(viewer).to_be_visible()  # the same document opens again


def test_knowledge_tab_lists_call_notes_with_rep_and_date_searchable(page, server):
    from playwright.sync_api import expect

    from ui import handlers

    open_tab(page, "Knowledge")
    notes = page.locator("#coach-notes")
    expect(notes).to_contain_text("calls/2026-09-03-nora-quill-lantern-bikes.md")
    _, rows = handlers.call_notes(server[2])
    expect(page.locator("#coach-notes-note")).to_contain_text(f"{len(rows)} call notes")
    search = page.locator("#coach-notes-search textarea, #coach-notes-search input").first
    search.fill("lantern")
    expect(page.locator("#coach-notes-note")).to_contain_text(f"1 of {len(rows)} call notes")
    expect(notes.locator("[data-testid=cell-0-1]")).to_have_text("Nora Quill")
    expect(notes.locator("[data-testid=cell-0-0]")).to_have_text("2026-09-03")
    expect(notes.locator("[data-testid=cell-1-0]")).to_have_count(0)
    search.fill("okafor pinecrest")
    expect(notes.locator("[data-testid=cell-0-2]")).to_have_text("Pinecrest Credit Union")
    search.fill("no such account")
    expect(page.locator("#coach-notes-note")).to_contain_text("No call note's rep, account or file name holds")
    shot(page, "knowledge-notes.png")
