"""`coach observations`, `coach interventions`, `coach model`: the coaching memory."""

from __future__ import annotations

import argparse

from coach.commands.common import EXIT_OK, open_kb, print_json


def register(commands) -> None:
    obs = commands.add_parser(
        "observations", help="stable observations per rep and team (recurring only)",
        description="Patterns that recur across calls. One-off comments are facts, shown with --all.",
    )
    obs.add_argument("--rep", help="only this rep (full or first name)")
    obs.add_argument("--theme", help="only this theme id (see knowledge/taxonomy.json)")
    obs.add_argument("--polarity", choices=("strength", "gap"), help="only strengths or only gaps (a pattern that turned after coaching, gap then strength, matches either)")
    obs.add_argument("--all", action="store_true", help="include one-off facts that did not recur")
    obs.add_argument("--trend", action="store_true",
                     help="also show, per rep and theme, the gap rate per week (each observation's JSON has it as trend)")
    obs.add_argument("--json", action="store_true", help="print a JSON list")
    obs.set_defaults(run=cmd_observations)

    interventions = commands.add_parser(
        "interventions", help="coaching interventions and whether they measurably helped",
        description="Coaching feedback per rep and theme, with the rep's gap rate before and after.",
    )
    interventions.add_argument("--rep", help="only this rep (full or first name)")
    interventions.add_argument("--json", action="store_true", help="print a JSON list")
    interventions.set_defaults(run=cmd_interventions)

    model = commands.add_parser("model", help="the mental models: Discovery Playbook, Coaching Themes",
                                description="Living documents rebuilt after ingests that change their inputs.")
    actions = model.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the mental models")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(run=cmd_model_list)
    show = actions.add_parser("show", help="print a mental model")
    show.add_argument("id", help="discovery-playbook or coaching-themes")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.set_defaults(run=cmd_model_show)
    history = actions.add_parser("history", help="versions of a mental model and what changed")
    history.add_argument("id", help="discovery-playbook or coaching-themes")
    history.add_argument("--json", action="store_true", help="print a JSON list")
    history.set_defaults(run=cmd_model_history)


def cmd_observations(args: argparse.Namespace) -> int:
    kb = open_kb(args)
    found = kb.observations(rep=args.rep, theme=args.theme, polarity=args.polarity, include_one_offs=args.all)
    if args.json:
        print_json([o.to_dict() for o in found])
        return EXIT_OK
    if not found:
        print("No observations match. One-off comments are not observations; try --all.")
    for o in found:
        mark = "" if o.promoted else " (one-off)"
        print(f"- {o.statement}{mark}  [{o.id}]")
        for e in o.evidence:
            print(f"    {e.date} {e.source}: \"{_clip(e.quote)}\"")
    if args.trend:
        print("\nGap rate per week (calls that judged the theme; week of Monday):")
        seen = set()
        for o in found:
            if o.rep is None or not o.trend or (o.rep, o.theme) in seen:
                continue
            seen.add((o.rep, o.theme))
            weeks = ", ".join(f"{w.week}: {w.gap_calls}/{w.calls}" for w in o.trend)
            print(f"- {o.rep} · {o.theme}: {weeks}")
    return EXIT_OK


def cmd_interventions(args: argparse.Namespace) -> int:
    kb = open_kb(args)
    found = kb.interventions(rep=args.rep)
    if args.json:
        print_json([i.to_dict() for i in found])
        return EXIT_OK
    if not found:
        print("No coaching interventions found in the call notes yet.")
    for i in found:
        print(f"- {i.date} {i.rep} · {i.theme}: {i.verdict}")
        print(f"    \"{_clip(i.action)}\"")
        print(f"    before: gap in {i.before.gap_calls} of {i.before.calls} calls; "
              f"after: gap in {i.after.gap_calls} of {i.after.calls} calls  ({i.source})")
    if found and found[0].rule:
        print(f"Rule: {found[0].rule} (docs/coaching-memory.md).")
    return EXIT_OK


def cmd_model_list(args: argparse.Namespace) -> int:
    kb = open_kb(args)
    models = kb.mental_models()
    if args.json:
        print_json([{"id": m.id, "name": m.name, "source_query": m.source_query, "version": m.version,
                     "refreshed_at": m.refreshed_at} for m in models])
        return EXIT_OK
    for m in models:
        print(f"{m.id:20} v{m.version}  refreshed {m.refreshed_at}  {m.name}: {m.source_query}")
    return EXIT_OK


def cmd_model_show(args: argparse.Namespace) -> int:
    model = open_kb(args).mental_model(args.id)
    if args.json:
        print_json(model.to_dict())
        return EXIT_OK
    print(model.content)
    print("Citations:")
    for c in model.citations:
        where = c.section or c.date or ""
        print(f"  [{c.n}] {c.source} — {where}: \"{_clip(c.quote)}\"")
    print(f"\nversion {model.version}, refreshed {model.refreshed_at}")
    return EXIT_OK


def cmd_model_history(args: argparse.Namespace) -> int:
    versions = open_kb(args).model_history(args.id)
    if args.json:
        print_json([{"version": v.version, "refreshed_at": v.refreshed_at, "changes": list(v.changes)}
                    for v in versions])
        return EXIT_OK
    for v in reversed(versions):
        added = sum(1 for c in v.changes if c.startswith("+"))
        removed = len(v.changes) - added
        print(f"v{v.version}  {v.refreshed_at}  +{added} -{removed} lines")
        for change in v.changes[:12]:
            print(f"    {_clip(change, 150)}")
        if len(v.changes) > 12:
            print(f"    … {len(v.changes) - 12} more")
    return EXIT_OK


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
