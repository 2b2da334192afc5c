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
    yield url, root
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
    page.get_by_role("tab", name=name).click()


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
