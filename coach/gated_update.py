"""A knowledge update that lands only if answers did not get worse.

``gated_ingest`` stages a copy of the live store (``core.store.Store.stage``), measures it
(the baseline, or reuses ``evals/latest.json`` when it describes exactly this store),
ingests into the copy, measures again, and compares with the tolerances of
``evals/gate.toml`` (``evals.gate``). The live store is only read until promotion, which
swaps the index in while the live ingest lock is held. A refused update leaves the live
store byte for byte as it was and raises ``UpdateRefused`` (a ``GateRefused``, exit code 3).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from coach.knowledge_base import KnowledgeBase
from core.errors import ConfigError
from core.records import SourceKind
from core.settings import Settings
from core.store import Store
from evals import golden
from evals.gate import GateConfig, GateResult, UpdateRefused, gate_regressions, load_gate_config, summary
from evals.records import SUITE_VERSION, SuiteReport
from evals.report import compare, load_latest, write_report
from evals.runner import run_suite, store_info
from rag.indexer import Progress


def gated_ingest(settings: Settings, paths: list[Path], progress: Progress | None = None,
                 *, config: GateConfig | None = None, embedder=None, kind: SourceKind | None = None) -> GateResult:
    """Ingest ``paths`` into a staged copy and promote it only if no gated metric regresses."""
    if settings.chroma is not None:
        raise ConfigError("coach ingest --gate needs the embedded store for now; unset COACH_CHROMA_URL "
                          "or ingest without --gate")
    config = config or load_gate_config()
    live = KnowledgeBase(settings, embedder)
    with live.store.lock():
        staged = live.store.stage()
        try:
            result = _evaluate_update(settings, staged, paths, progress, config, live.embedder, kind)
            if not result.regressions:
                live.close()
                live.store.promote(staged)
        finally:
            staged.discard()  # after a promotion there is nothing left in it
    if result.regressions:
        saved = write_report(_at(result.candidate, settings.data_dir), settings.data_dir,
                             prefix="gate-refused", comparison=result.comparison, latest=False)
        result = replace(result, report=saved)
        message = summary(list(result.regressions), result.worse_questions, saved)
        raise UpdateRefused(f"the update was refused by the evaluation gate: {message}", result=result)
    saved = write_report(_at(result.candidate, settings.data_dir), settings.data_dir, comparison=result.comparison)
    return replace(result, promoted=True, report=saved)


def _evaluate_update(live: Settings, staged: Store, paths: list[Path], progress: Progress | None,
                     config: GateConfig, embedder, kind: SourceKind | None) -> GateResult:
    settings = replace(live, data_dir=staged.root)
    kb = KnowledgeBase(settings, embedder)
    try:
        baseline, reused = None, False
        if kb.docstore.documents():
            baseline, reused = _baseline(kb, live.data_dir, config)
        ingest = kb.ingest(paths, progress, kind=kind)
    finally:
        kb.close()
    kb = KnowledgeBase(settings, embedder)  # fresh parts: nothing cached from before the ingest
    try:
        candidate = run_suite(kb, config.sets)
    finally:
        kb.close()
    comparison = compare(candidate, baseline) if baseline else None
    return GateResult(
        promoted=False, ingest=ingest, candidate=candidate, baseline=baseline, comparison=comparison,
        regressions=tuple(gate_regressions(candidate, baseline, config)), report=None, baseline_reused=reused,
    )


def _baseline(kb: KnowledgeBase, live_dir: Path, config: GateConfig) -> tuple[SuiteReport, bool]:
    """The live store's report (``kb`` is its staged copy): ``latest.json`` when it describes
    this very store, else a fresh run, saved as the live store's latest report."""
    latest = load_latest(live_dir)
    if latest is not None and _describes(latest, kb, config):
        return latest, True
    report = run_suite(kb, config.sets)
    write_report(_at(report, live_dir), live_dir)
    return report, False


def _describes(report: SuiteReport, kb: KnowledgeBase, config: GateConfig) -> bool:
    info = store_info(kb)
    return (report.store.fingerprint == info.fingerprint and report.store.generation == info.generation
            and report.golden == golden.golden_digest() and report.version == SUITE_VERSION
            and report.subset is None and all(s in report.sets for s in config.sets))


def _at(report: SuiteReport, data_dir: Path) -> SuiteReport:
    """The report as describing the live data dir (it was measured on a staged copy)."""
    return replace(report, store=replace(report.store, data_dir=str(data_dir)))
