"""Look and feel: a gradio theme with local fonts only, and the CSS for the panels."""

from __future__ import annotations

import gradio as gr


def theme() -> gr.themes.Base:
    # system fonts: nothing to fetch, and bold text never falls back to another face
    return gr.themes.Default(
        primary_hue="indigo", secondary_hue="amber", neutral_hue="slate", radius_size="md",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    ).set(block_title_text_weight="600", button_large_radius="*radius_md")


CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto; min-width: 0 !important; width: 100% !important; }
.coach-table table, .coach-table td, .coach-table th, .coach-table span { font-family: var(--font) !important; }
#coach-header { display: flex; align-items: baseline; gap: 12px; padding: 4px 2px 0; }
#coach-header h1 { font-size: 1.6rem; margin: 0; font-weight: 700; letter-spacing: -0.01em; }
#coach-header span { color: var(--body-text-color-subdued); }

.coach-sources { display: flex; flex-direction: column; gap: 12px; }
.coach-sources-title { font-weight: 600; font-size: 0.95rem; color: var(--body-text-color-subdued);
  text-transform: uppercase; letter-spacing: 0.04em; }
.coach-empty p { color: var(--body-text-color-subdued); margin: 0; line-height: 1.5; }
.coach-source { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 8px; padding: 10px 12px; background: var(--block-background-fill); }
.coach-source-head { display: flex; align-items: center; gap: 6px; margin-bottom: 4px; }
.coach-ref { font-weight: 700; color: var(--color-accent); font-size: 0.85em; }
sup.coach-ref { margin-left: 1px; }
.coach-kind { margin-left: auto; font-size: 0.75rem; padding: 1px 8px; border-radius: 999px;
  background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
.coach-section { font-weight: 600; line-height: 1.35; }
.coach-path { font-family: var(--font-mono); font-size: 0.78rem; color: var(--body-text-color-subdued);
  word-break: break-all; margin: 2px 0 6px; }
.coach-text { white-space: pre-wrap; line-height: 1.5; font-size: 0.9rem; }
.coach-passage mark, .coach-quote mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 3px; }
.coach-passage details { margin-top: 6px; font-size: 0.85rem; }
.coach-passage summary { cursor: pointer; color: var(--body-text-color-subdued); }
.coach-ellipsis { color: var(--body-text-color-subdued); }
#coach-sources-panel { max-height: 640px; overflow-y: auto; padding-right: 4px; }
.coach-sources-question { font-weight: 600; line-height: 1.35; margin-top: -6px; }
.coach-source.coach-focus { box-shadow: 0 0 0 3px var(--color-accent-soft), 0 0 0 1px var(--color-accent); }
.coach-source.coach-hover { background: var(--background-fill-secondary); border-color: var(--color-accent); }
.coach-source:focus { outline: none; }
a.coach-cite { color: var(--color-accent); font-weight: 700; cursor: pointer; text-decoration: none;
  border-radius: 3px; padding: 0 1px; }
a.coach-cite:hover, a.coach-cite:focus, a.coach-cite.coach-cite-on { background: #fde68a; color: #1f2937; }
.coach-md { white-space: normal; }
.coach-md p { margin: 0 0 6px; }
.coach-md ul, .coach-md ol { margin: 0 0 6px; padding-left: 1.3em; }
.coach-md li { margin: 1px 0; }
.coach-md h3, .coach-md h4, .coach-md h5, .coach-md h6 { font-size: 0.95rem; margin: 6px 0 4px; }
.coach-md blockquote { margin: 0 0 6px; padding: 2px 10px; border-left: 3px solid var(--border-color-primary); }
.coach-md pre { white-space: pre-wrap; background: var(--background-fill-secondary); padding: 6px 8px;
  border-radius: 6px; font-size: 0.82rem; margin: 0 0 6px; }
.coach-md code { font-family: var(--font-mono); font-size: 0.85em; }
.coach-md-table { overflow-x: auto; margin: 0 0 6px; }
.coach-md table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
.coach-md th, .coach-md td { border: 1px solid var(--border-color-primary); padding: 3px 6px; text-align: left;
  vertical-align: top; }
.coach-md th { background: var(--background-fill-secondary); font-weight: 600; }

.coach-observation h4 { margin: 6px 0 2px; font-size: 1rem; line-height: 1.35; }
.coach-meta { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.coach-badge { display: inline-block; font-size: 0.72rem; font-weight: 700; text-transform: uppercase;
  padding: 1px 8px; border-radius: 999px; letter-spacing: 0.04em; }
.coach-badge.coach-gap { background: #fee2e2; color: #991b1b; }
.coach-badge.coach-strength { background: #dcfce7; color: #166534; }
.coach-evidence-list { list-style: none; padding: 0; margin: 8px 0 0; }
.coach-evidence { margin-bottom: 10px; }
.coach-evidence blockquote { margin: 4px 0 0; padding: 6px 10px; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); white-space: pre-wrap; border-radius: 0 6px 6px 0; }
.coach-hint { color: var(--body-text-color-subdued); }
.coach-legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 0.85rem; padding: 0 8px; }
.coach-legend-item { display: inline-flex; align-items: center; gap: 6px; }
.coach-swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
.coach-chart { margin: 0; }
.coach-chart figcaption { font-weight: 600; margin: 0 0 4px; }
.coach-chart-svg { width: 100%; height: auto; display: block; max-height: 420px; }
.coach-chart-svg .coach-grid { stroke: var(--border-color-primary); stroke-width: 1; }
.coach-chart-svg text { font-family: var(--font); font-size: 13px; fill: var(--body-text-color-subdued); }
.coach-chart-svg .coach-axis-title { font-weight: 600; }
.coach-chart-svg .coach-session-label { fill: #fff; font-size: 11px; font-weight: 700; }
.coach-session-swatch { display: inline-block; width: 18px; height: 14px; border-radius: 3px; background: #334155;
  color: #fff; font-size: 11px; font-weight: 700; text-align: center; line-height: 14px; }
#coach-chat .bubble-wrap { padding-top: 40px; }  /* the label and the chat's buttons sit above the first line */

.coach-card-foot { margin-top: 6px; }
button.coach-open-doc { font-size: 0.8rem; padding: 2px 10px; border-radius: 999px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
button.coach-open-doc:hover, button.coach-open-doc:focus { border-color: var(--color-accent); }
.coach-doc-modal { position: fixed; inset: 0; z-index: 1000; background: rgba(15, 23, 42, 0.45);
  display: flex; align-items: flex-start; justify-content: center; padding: 4vh 8px; box-sizing: border-box; }
.coach-doc-modal.coach-doc-closed { display: none; }
.coach-doc-box { background: var(--body-background-fill); color: var(--body-text-color); border-radius: 10px;
  width: min(900px, 100%); max-height: 92vh; overflow-y: auto; overflow-x: hidden; padding: 14px 18px;
  box-sizing: border-box; box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3); overflow-wrap: anywhere; }
.coach-doc-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 12px;
  position: sticky; top: -14px; background: var(--body-background-fill); padding: 4px 0 8px; }
.coach-doc-title { margin: 4px 0 0; font-size: 1.15rem; word-break: break-word; }
.coach-doc-close { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 12px;
  background: var(--background-fill-secondary); cursor: pointer; color: var(--body-text-color); }
.coach-doc-body { font-size: 0.92rem; line-height: 1.5; }
.coach-doc-fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px;
  font-size: 0.88rem; }
.coach-doc-fields dt { color: var(--body-text-color-subdued); }
.coach-doc-fields dd { margin: 0; }
.coach-doc-note + .coach-doc-note { border-top: 1px solid var(--border-color-primary); padding-top: 10px; }
#coach-doc-view { min-height: 0 !important; }

.coach-scorecard { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--block-background-fill); }
.coach-scorecard-title { font-weight: 700; margin-bottom: 6px; }
.coach-scorecard-scroll { overflow-x: auto; }
.coach-scorecard-table { border-collapse: collapse; width: 100%; font-size: 0.88rem; border: 0 !important; }
.coach-scorecard-table thead, .coach-scorecard-table tbody, .coach-scorecard-table tr { border: 0 !important; }
.coach-scorecard-table th, .coach-scorecard-table td { border: 0 !important;
  border-top: 1px solid var(--border-color-primary) !important; padding: 5px 8px; text-align: left;
  vertical-align: top; background: none; }
.coach-scorecard-table td[data-label="Changed"] { min-width: 16em; }
.coach-scorecard-table tbody tr[data-rep] { cursor: pointer; }
.coach-scorecard-table tbody tr[data-rep]:hover, .coach-scorecard-table tbody tr[data-rep]:focus {
  background: var(--background-fill-secondary); outline: none; }
.coach-scorecard-table thead th { color: var(--body-text-color-subdued); font-weight: 600; border-top: 0; }
.coach-scorecard-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 8px 16px; }
.coach-scorecard-part h4 { margin: 4px 0; font-size: 0.92rem; }
.coach-scorecard-part ul { margin: 0; padding-left: 1.1em; }
.coach-scorecard-part li { margin: 2px 0; line-height: 1.4; }
.coach-scorecard-theme { font-weight: 600; }
.coach-badge.coach-early { background: #e0e7ff; color: #3730a3; }
.coach-intervention h4 { margin: 6px 0 4px; line-height: 1.35; }
.coach-calls-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 8px 16px; }
.coach-calls ul { list-style: none; padding: 0; margin: 0; }
.coach-call { margin-bottom: 8px; }
.coach-call blockquote { margin: 4px 0 0; padding: 4px 10px; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); border-radius: 0 6px 6px 0; }
.coach-calls h4 { margin: 6px 0; font-size: 0.92rem; }

#coach-model-doc { padding: 4px 8px; overflow-wrap: anywhere; }
#coach-model-doc .coach-model h1 { font-size: 1.6rem; margin: 4px 0; }
#coach-model-doc .coach-model h2 { font-size: 1.2rem; margin: 14px 0 6px; }
#coach-model-doc .coach-model h3 { font-size: 1.05rem; margin: 10px 0 4px; }
.coach-model-meta { color: var(--body-text-color-subdued); font-style: italic; }
a.coach-mcite { color: var(--color-accent); font-weight: 700; text-decoration: none; border-radius: 3px;
  padding: 0 1px; }
a.coach-mcite:hover, a.coach-mcite:focus, a.coach-mcite.coach-cite-on { background: #fde68a; color: #1f2937; }
.coach-model-sources { display: flex; flex-direction: column; gap: 10px; max-height: 620px; overflow-y: auto;
  padding-right: 4px; }
.coach-model-quote { margin: 2px 0 0; padding: 4px 10px; border-left: 3px solid var(--border-color-primary);
  font-size: 0.88rem; }
.coach-history { overflow-wrap: anywhere; font-size: 0.88rem; }
.coach-version h4 { margin: 4px 0; }
.coach-changes-title { font-weight: 600; margin: 6px 0 2px; }
.coach-changes ul { margin: 0; padding-left: 1.1em; }
.coach-changes li { white-space: normal; margin: 2px 0; }
li.coach-added::marker { content: "+ "; color: #166534; font-weight: 700; }
li.coach-removed { text-decoration: line-through; text-decoration-color: #b91c1c; }
li.coach-removed::marker { content: "− "; color: #b91c1c; font-weight: 700; }
.coach-change-heading { color: var(--body-text-color-subdued); font-size: 0.8em; text-transform: uppercase; }

@media (max-width: 700px) {  /* a phone: the page never scrolls sideways, wide tables scroll in place */
  .coach-table .table-wrap { overflow-x: auto !important; }
  .coach-chart-svg text { font-size: 20px !important; }
  .coach-chart-svg .coach-session-label { font-size: 14px !important; }
  #coach-header { flex-wrap: wrap; }
  /* the every-rep scorecard: one block per rep, each value under its label */
  .coach-scorecard-table thead { display: none; }
  .coach-scorecard-table, .coach-scorecard-table tbody, .coach-scorecard-table tr,
  .coach-scorecard-table th, .coach-scorecard-table td { display: block; width: auto; min-width: 0 !important; }
  .coach-scorecard-table tr { border-top: 1px solid var(--border-color-primary); padding: 6px 0; }
  .coach-scorecard-table th, .coach-scorecard-table td { border-top: 0 !important; padding: 1px 0; }
  .coach-scorecard-table td::before { content: attr(data-label) ": "; font-weight: 600;
    color: var(--body-text-color-subdued); }
  .coach-scorecard-table td > .coach-scorecard-item:first-child { display: inline; }
}
"""
