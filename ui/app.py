"""The Gradio app: layout and wiring only; every behaviour is a function in ``ui.handlers``.

``build_app(kb)`` makes the Blocks for one KnowledgeBase (built once per process);
``serve`` starts it without blocking and returns the URL; ``launch`` serves and blocks.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import gradio as gr

from core.errors import ConfigError
from ingest.files import MAX_BYTES
from ui import coaching, documents, handlers, render, uploads
from ui.chart import RateChart, chart_svg
from ui.script import HEAD
from ui.theme import CSS, theme

ASK_CONCURRENCY = 8  # questions answered at once; ingest runs one at a time
INGEST_HINT = "Uploaded files are stored in the data dir and ingested; the report lists what happened to each file."


def warm_up(kb) -> None:
    """Open the store and load the model now, so the first question is quick.

    Raises StoreError ("... Run: coach ingest knowledge/") when there is nothing to serve.
    """
    kb.require_content()
    kb.answerer  # noqa: B018 - builds the retriever and the optional generator once
    kb.embedder.encode_one("warm up")


def build_app(kb) -> gr.Blocks:
    # gradio spools uploads in GRADIO_TEMP_DIR; keep them inside the data dir too
    incoming = uploads.uploads_dir(kb.data_dir) / uploads.INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(incoming)
    with gr.Blocks(title="coach", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        gr.HTML('<div id="coach-header"><h1>coach</h1><span>answers from your playbooks and '
                "call notes, with sources</span></div>")
        history = gr.BrowserState(handlers.new_history(), storage_key=_storage_key(kb),
                                  secret=_browser_secret(kb.data_dir))
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                on_load = _ask_tab(kb, history)
            with gr.Tab("Observations", id="observations") as observations_tab:
                refresh_observations = _observations_tab(kb)
            with gr.Tab("Mental models", id="models") as models_tab:
                refresh_models = _models_tab(kb)
            with gr.Tab("Knowledge", id="knowledge") as knowledge_tab:
                refresh_knowledge = _knowledge_tab(kb)
            with gr.Tab("Evals", id="evals") as evals_tab:
                refresh_evals = _evals_tab(kb)
        observations_tab.select(**refresh_observations)
        models_tab.select(**refresh_models)
        knowledge_tab.select(**refresh_knowledge)
        evals_tab.select(**refresh_evals)
        _document_viewer(kb)
        app.load(**on_load)
    return app


# -- Ask --------------------------------------------------------------------------------
def _ask_tab(kb, history: gr.BrowserState) -> dict:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                label="Conversation", height=540, allow_tags=False, layout="bubble",
                placeholder="### Ask about discovery, objections, next steps or coaching\n"
                            "Answers quote your team's playbooks and call notes; every claim carries a "
                            "[n] marker that points to its source on the right.",
                examples=[{"text": q} for q in handlers.EXAMPLE_QUESTIONS],
                feedback_options=("Like", "Dislike"), buttons=["copy"], elem_id="coach-chat",
            )
            question = gr.Textbox(placeholder="Ask a question, e.g. How do I handle a timing objection?",
                                  show_label=False, lines=1, max_lines=4, submit_btn="Ask",
                                  elem_id="coach-question")
            comment = gr.Textbox(label="Feedback comment (optional)", lines=1, max_lines=3, visible=False,
                                 placeholder="What was missing or wrong? Type it, then press thumbs up or "
                                             "down under the answer", elem_id="coach-comment")
            feedback_note = gr.Markdown(elem_id="coach-feedback-note")
            with gr.Accordion("Options", open=False):
                with gr.Row():
                    rep = gr.Dropdown([("Everyone", "")] + coaching.rep_names(kb), value="",
                                      label="Call notes of", info="Playbooks are always used")
                    k = gr.Slider(3, 10, value=5, step=1, label="Passages to read")
        with gr.Column(scale=2, min_width=320):
            sources = gr.HTML(render.sources_html(None), elem_id="coach-sources-panel")

    def on_ask(text, state, rep_name, passages):
        state, panel = handlers.chat_turn(kb, text, state, rep=rep_name or None, k=int(passages))
        # the comment box once there is an answer to comment on; an earlier "Thanks" goes
        return state, state["messages"], panel, "", gr.update(visible=bool(state["answers"])), ""

    def on_like(state, note, event: gr.LikeData):
        if event.liked not in (True, False):
            return gr.update(), note
        index = event.index if isinstance(event.index, int) else event.index[0]
        return handlers.record_feedback(kb, state, index, event.liked, note), ""

    def on_select(state, event: gr.SelectData):
        index = event.index if isinstance(event.index, int) else event.index[0]
        return handlers.sources_for_message(state, index)

    def on_example(event: gr.SelectData):
        return event.value["text"]

    def on_load(state, rep_name):
        reps = [("Everyone", "")] + coaching.rep_names(kb)
        messages, panel = handlers.restore(state)
        return (messages, panel, gr.update(choices=reps, value=rep_name or ""),
                gr.update(visible=handlers.latest_answer(state) is not None))

    ask_io = dict(fn=on_ask, inputs=[question, history, rep, k],
                  outputs=[history, chatbot, sources, question, comment, feedback_note],
                  concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    question.submit(**ask_io)
    chatbot.example_select(on_example, None, question).then(**ask_io)
    chatbot.like(on_like, [history, comment], [feedback_note, comment])
    chatbot.select(on_select, [history], [sources])
    chatbot.clear(lambda: (handlers.new_history(), render.sources_html(None), "", gr.update(visible=False, value="")),
                  None, [history, sources, feedback_note, comment])
    # on page load: the conversation this browser had before a reload, and the current reps
    return dict(fn=on_load, inputs=[history, rep], outputs=[chatbot, sources, rep, comment])


# -- Observations -----------------------------------------------------------------------
# A row of the every-rep scorecard, clicked or chosen with Enter, picks that rep (the same
# as choosing them in the Rep filter). One listener on the panel, so it survives re-renders.
PICK_SCORECARD_ROW = """
const pick = (event) => {
  const row = event.target.closest('tr[data-rep]');
  if (row && element.contains(row)) trigger('click', {rep: row.dataset.rep});
};
element.addEventListener('click', pick);
element.addEventListener('keydown', (event) => { if (event.key === 'Enter') pick(event); });
"""

def _observations_tab(kb) -> dict:
    gr.Markdown("Patterns the coaching memory found across call notes. Pick a row to read its evidence.")
    with gr.Row():
        rep = gr.Dropdown(label="Rep", scale=2, elem_id="coach-obs-rep")
        theme_pick = gr.Dropdown(label="Theme", scale=2)
        polarity = gr.Radio([("All", ""), ("Strengths", "strength"), ("Gaps", "gap")], value="",
                            label="Strength / gap", scale=2, elem_id="coach-obs-polarity")
        date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", max_lines=1, scale=1,
                               min_width=120, elem_id="coach-obs-from")
        date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", max_lines=1, scale=1, min_width=120,
                             elem_id="coach-obs-to")
        one_offs = gr.Checkbox(label="Include one-off facts", value=False, scale=1)
    message = gr.Markdown(elem_id="coach-obs-message")
    card = gr.HTML(elem_id="coach-scorecard", js_on_load=PICK_SCORECARD_ROW)
    listed = gr.State([])
    table = gr.Dataframe(headers=coaching.OBSERVATION_COLUMNS, interactive=False, wrap=True,
                         label="Observations", max_height=420, elem_classes="coach-table",
                         elem_id="coach-obs-table",
                         column_widths=["12%", "18%", "8%", "44%", "6%", "12%"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            evidence = gr.HTML(coaching.evidence_for(kb, [], None), elem_id="coach-evidence")
        with gr.Column(scale=3):
            chart = gr.HTML(chart_svg(RateChart()), elem_id="coach-chart")
    gr.Markdown("### Trend per rep and theme\nEach week's calls that judged the theme, and the share that "
                "showed the gap.")
    trend = gr.Dataframe(headers=coaching.TREND_COLUMNS, interactive=False, wrap=True, max_height=320,
                         elem_classes="coach-table", elem_id="coach-obs-trend")
    gr.Markdown("### Coaching interventions\nWhat a coach asked a rep to change, and the share of "
                "calls with the gap before and after.")
    interventions_note = gr.Markdown(elem_id="coach-interventions-note")
    sessions = gr.State([])
    interventions = gr.Dataframe(headers=coaching.INTERVENTION_COLUMNS, interactive=False, wrap=True,
                                 max_height=360, elem_classes="coach-table", elem_id="coach-interventions",
                                 column_widths=["10%", "13%", "17%", "30%", "11%", "11%", "8%"])
    session_detail = gr.HTML(coaching.intervention_detail(kb, [], None), elem_id="coach-intervention-detail")

    def refresh(rep_name, theme_id, polarity_value, start, end, include_one_offs):
        view = coaching.observations_view(kb, rep_name, theme_id, polarity_value, start, end, include_one_offs)
        note, items, rows = coaching.interventions_listed(kb, rep_name, theme_id, start, end)
        return (view.message, coaching.scorecard_for(kb, rep_name), view.table, view.observations,
                coaching.evidence_for(kb, [], None), chart_svg(view.chart), note, items, rows,
                coaching.intervention_detail(kb, [], None), view.trend)

    filters = [rep, theme_pick, polarity, date_from, date_to, one_offs]
    outputs = [message, card, table, listed, evidence, chart, interventions_note, sessions, interventions,
               session_detail, trend]
    for control in (rep, theme_pick, polarity, one_offs):
        control.input(refresh, filters, outputs)  # user changes only, not the tab's own refresh
    for control in (date_from, date_to):  # a typed date counts once it is complete: Enter or leaving the box
        control.submit(refresh, filters, outputs)
        control.blur(refresh, filters, outputs)

    def on_card_row(theme_id, polarity_value, start, end, include_one_offs, event: gr.EventData):
        rep_name = getattr(event, "rep", "") or ""  # the row's data-rep, sent by PICK_SCORECARD_ROW
        return (gr.update(value=rep_name),
                *refresh(rep_name, theme_id, polarity_value, start, end, include_one_offs))

    card.click(on_card_row, filters[1:], [rep, *outputs])

    def on_row(observations, event: gr.SelectData):
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        return coaching.evidence_for(kb, observations, row)

    table.select(on_row, [listed], [evidence])

    def on_session(items, event: gr.SelectData):
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        return coaching.intervention_detail(kb, items, row)

    interventions.select(on_session, [sessions], [session_detail])

    def on_open(rep_name, theme_id, *rest):
        reps = [("All reps", "")] + coaching.rep_names(kb)
        themes = [("All themes", "")] + sorted((label, tid) for tid, label in coaching.theme_labels(kb).items())
        return (gr.update(choices=reps, value=rep_name or ""), gr.update(choices=themes, value=theme_id or ""),
                *refresh(rep_name, theme_id, *rest))

    return dict(fn=on_open, inputs=filters, outputs=[rep, theme_pick, *outputs])


# -- Mental models ----------------------------------------------------------------------
def _models_tab(kb) -> dict:
    pick = gr.Radio(label="Mental model", choices=[], elem_id="coach-model-pick")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            document = gr.HTML(coaching.model_view(kb, None)[0], elem_id="coach-model-doc")
        with gr.Column(scale=2, min_width=300):
            gr.Markdown("### Sources")
            sources = gr.HTML(elem_id="coach-model-sources")
            with gr.Accordion("Version history", open=False, elem_id="coach-model-history-box"):
                versions = gr.HTML(elem_id="coach-model-history")
    outputs = [document, sources, versions]
    pick.change(lambda model_id: coaching.model_view(kb, model_id), [pick], outputs)

    def on_open(current):
        choices = coaching.model_choices(kb)
        ids = [model_id for _, model_id in choices]
        chosen = current if current in ids else (ids[0] if ids else None)
        return (gr.update(choices=choices, value=chosen), *coaching.model_view(kb, chosen))

    return dict(fn=on_open, inputs=[pick], outputs=[pick, *outputs])


# -- Knowledge --------------------------------------------------------------------------
def _knowledge_tab(kb) -> dict:
    limit = f"{MAX_BYTES // (1024 * 1024)} MB"
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            files = gr.File(file_count="multiple", label=f"Call notes (.md, .txt), CSV exports or playbooks (.md) — up to {limit} each",
                            height=180, elem_id="coach-upload")
            playbook = gr.Checkbox(label="These are playbooks (markdown guides everyone should follow)")
            ingest = gr.Button("Ingest", variant="primary", elem_id="coach-ingest")
        with gr.Column(scale=3):
            ingest_note = gr.Markdown(INGEST_HINT, elem_id="coach-ingest-note")
            report = gr.Dataframe(headers=handlers.REPORT_COLUMNS, interactive=False, wrap=True,
                                  label="Ingest report", max_height=300, elem_classes="coach-table",
                                  elem_id="coach-report", column_widths=["20%", "42%", "12%", "26%"])
    gr.Markdown("### In the store")
    summary = gr.Markdown(elem_id="coach-store-summary")
    listing = gr.Dataframe(headers=handlers.STORE_COLUMNS, interactive=False, wrap=True, max_height=420,
                           column_widths=["12%", "54%", "10%", "16%", "8%"], elem_classes="coach-table",
                           elem_id="coach-store")
    with gr.Row():
        to_remove = gr.Dropdown(label="Remove a source", choices=[], scale=4, elem_id="coach-remove-pick")
        remove = gr.Button("Remove…", variant="stop", scale=1, elem_id="coach-remove")
    with gr.Row(visible=False) as confirm_row:
        question = gr.Markdown(elem_id="coach-remove-question")
        confirm = gr.Button("Yes, remove", variant="stop", scale=0, elem_id="coach-remove-confirm")
        cancel = gr.Button("Cancel", scale=0, elem_id="coach-remove-cancel")
    with gr.Row():
        remove_note = gr.Markdown(elem_id="coach-remove-note")
        undo = gr.Button("Undo", visible=False, scale=0, elem_id="coach-remove-undo")
    removed = gr.State(None)  # the last removal, for Undo
    gr.Markdown("### Call notes")
    search = gr.Textbox(placeholder="Search by rep, account or file name", show_label=False, max_lines=1,
                        elem_id="coach-notes-search")
    notes_note = gr.Markdown(elem_id="coach-notes-note")
    notes = gr.Dataframe(headers=handlers.NOTE_COLUMNS, interactive=False, wrap=True, max_height=420,
                         column_widths=["14%", "18%", "24%", "12%", "32%"], elem_classes="coach-table",
                         elem_id="coach-notes")
    search.change(lambda query: handlers.call_notes(kb, query), [search], [notes_note, notes],
                 show_progress="hidden")

    def listing_outputs(query=""):
        text, rows, choices = handlers.store_listing(kb)
        return (text, rows, gr.update(choices=choices, value=None), *handlers.call_notes(kb, query))

    def on_ingest(chosen, is_playbook, query, progress=gr.Progress()):
        given = [uploads.Upload(Path(f), Path(f).name) for f in chosen or []]
        note, rows = handlers.ingest_uploads(
            kb, given, is_playbook, progress=lambda done, total, label: progress((done, total), desc=label),
        )
        return (note, rows, None, *listing_outputs(query))

    def on_ask_removal(source):
        text = handlers.removal_question(kb, source)
        asks = text.startswith("Remove ")
        return (gr.update(visible=asks), text if asks else "", "" if asks else (text or "Choose a source to remove."),
                gr.update(visible=False))

    def on_remove(source, query):
        text, removal = handlers.remove_source(kb, source)
        return (gr.update(visible=False), text, gr.update(visible=removal is not None), removal,
                *listing_outputs(query))

    def on_undo(removal, query):
        return (handlers.undo_removal(kb, removal), gr.update(visible=False), None, *listing_outputs(query))

    listed = [summary, listing, to_remove, notes_note, notes]
    ingest.click(on_ingest, [files, playbook, search], [ingest_note, report, files, *listed],
                 concurrency_limit=1, concurrency_id="ingest", show_progress_on=[report])
    files.upload(lambda: INGEST_HINT, None, [ingest_note], show_progress="hidden")  # a stale "choose files" goes
    remove.click(on_ask_removal, [to_remove], [confirm_row, question, remove_note, undo], show_progress="hidden")
    cancel.click(lambda: (gr.update(visible=False), ""), None, [confirm_row, remove_note], show_progress="hidden")
    confirm.click(on_remove, [to_remove, search], [confirm_row, remove_note, undo, removed, *listed],
                  concurrency_limit=1, concurrency_id="ingest", show_progress_on=[remove_note])
    undo.click(on_undo, [removed, search], [remove_note, undo, removed, *listed],
               concurrency_limit=1, concurrency_id="ingest", show_progress_on=[remove_note])
    to_remove.input(lambda: (gr.update(visible=False), ""), None, [confirm_row, remove_note], show_progress="hidden")

    def on_open(query):
        return (*listing_outputs(query), gr.update(visible=False))

    return dict(fn=on_open, inputs=[search], outputs=[*listed, confirm_row])


# -- Evals ------------------------------------------------------------------------------
def _evals_tab(kb) -> dict:
    gr.Markdown("Evaluations score retrieval and answers on the golden question sets. Run the fast one here "
                "(the same as `coach eval --fast`, a few seconds); the full suite runs with `coach eval`.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            run = gr.Button("Run the fast evaluation", variant="primary", elem_id="coach-eval-run")
            summary = gr.Markdown(elem_id="coach-eval-summary")
            metrics = gr.Dataframe(headers=handlers.EVAL_COLUMNS, interactive=False, wrap=True, visible=False,
                                   label="Metrics", elem_classes="coach-table", elem_id="coach-eval-metrics",
                                   column_widths=["28%", "14%", "16%", "42%"])
            with gr.Accordion("Latest report", open=False):
                report = gr.Markdown(handlers.NO_EVAL_REPORT, elem_id="coach-eval-report")
        with gr.Column(scale=2, min_width=300):
            gr.Markdown("### Thumbs-down answers\nAnswers rated thumbs-down in the Ask tab, with the comment "
                        "left, to review; exported, they seed new golden questions (`coach eval --add-feedback`).")
            disliked_note = gr.Markdown(elem_id="coach-thumbs-down-note")
            disliked = gr.Dataframe(headers=handlers.FEEDBACK_COLUMNS, interactive=False, wrap=True,
                                    max_height=420, elem_classes="coach-table", elem_id="coach-thumbs-down",
                                    column_widths=["18%", "30%", "26%", "26%"])
            export = gr.Button("Export thumbs-down questions", size="md")
            note = gr.Markdown(elem_id="coach-export-note")
            exported = gr.File(label="Eval questions (JSONL)", interactive=False, visible=False)

    def on_run():
        text, rows, markdown = handlers.run_fast_eval(kb)
        return text, gr.update(value=rows, visible=not rows.empty), markdown

    def on_export():
        text, path = handlers.export_feedback(kb)
        return text, gr.update(value=path, visible=path is not None)

    def on_open():
        return (handlers.latest_eval_report(kb), *handlers.thumbs_down(kb))

    run.click(on_run, None, [summary, metrics, report], concurrency_limit=1, concurrency_id="eval",
              show_progress_on=[summary])
    export.click(on_export, None, [note, exported])
    return dict(fn=on_open, inputs=None, outputs=[report, disliked_note, disliked])


# -- the whole-document viewer -----------------------------------------------------------
def _document_viewer(kb) -> None:
    """One viewer for every tab: a source card's "Whole document" button (``ui.script``) puts
    the document key in a hidden box; the store's text comes back rendered (``ui.documents``)."""
    request = gr.Textbox(visible="hidden", elem_id="coach-doc-request", show_label=False, container=False)
    viewer = gr.HTML("", elem_id="coach-doc-view")
    request.change(lambda value: documents.document_html(kb, value), [request], [viewer], show_progress="hidden",
                  concurrency_limit=ASK_CONCURRENCY, concurrency_id="document")


# -- serving ----------------------------------------------------------------------------
def serve(kb, host: str = "127.0.0.1", port: int = 7860,
          auth: tuple[str, str] | None = None) -> tuple[gr.Blocks, str]:
    """Start the app in the background; returns it and its local URL."""
    app = build_app(kb)
    app.queue(default_concurrency_limit=4)
    try:
        app.launch(
            server_name=host, server_port=port, auth=auth, auth_message="Sign in to coach",
            prevent_thread_lock=True, quiet=True, show_error=True, theme=theme(), css=CSS, head=HEAD,
            max_file_size=MAX_BYTES, footer_links=["settings"],
            allowed_paths=[str(kb.store.feedback_export_path)],
        )
    except OSError:
        raise ConfigError(f"cannot serve on {host}:{port}: the port is in use or the address is not "
                          "this machine's; choose another with --port or --host") from None
    return app, f"http://{host}:{app.server_port}"


def launch(kb, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None) -> None:
    """Serve until interrupted."""
    app, url = serve(kb, host, port, auth)
    print(f"coach: serving on {url}", flush=True)
    app.block_thread()


def _storage_key(kb) -> str:
    return "coach-chat-" + hashlib.sha256(str(Path(kb.data_dir).resolve()).encode()).hexdigest()[:10]


def _browser_secret(data_dir: Path) -> str:
    """A per-store key for the browser-held history, so it survives a server restart."""
    path = Path(data_dir) / "ui-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(16)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
