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
.gradio-container { max-width: 1400px !important; margin: 0 auto; }
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
#coach-model-doc { padding: 4px 8px; }
"""
