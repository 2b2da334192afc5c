"""Measure coach: golden questions, coaching-memory checks, reports and the knowledge-update gate.

    golden.py   read the hand-written golden sets and the sample floor's planted patterns
    metrics.py  pure metric functions (retrieval, must-mention, citations, refusals)
    floor.py    pure checks of observations and interventions against the planted patterns
    judge.py    the optional LLM faithfulness judge (only with COACH_LLM)
    runner.py   run_suite(kb, sets, subset) -> SuiteReport
    report.py   render, save, load and compare reports
    gate.py     gate.toml tolerances and the verdict (the gated ingest is coach/gated_update.py)
    feedback.py thumbs-down answers -> golden questions to review

See evals/README.md.
"""
