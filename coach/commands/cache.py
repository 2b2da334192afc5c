"""`coach cache`: the machine-wide vector cache that lets every store embed a text once."""

from __future__ import annotations

import argparse

from coach.commands.common import EXIT_OK, print_json
from rag.vector_cache import cache_stats, clear_cache, default_folder


def register(commands) -> None:
    cache = commands.add_parser(
        "cache", help="show or clear the vector cache shared by every store on this machine",
        description="Every text is embedded once per model on this machine; the vectors are kept in "
        "COACH_VECTOR_CACHE (default ~/.cache/coach/vectors) and reused by every store, so a second "
        "store, a re-index or an edited file embeds only new text. Clearing it loses nothing stored: "
        "texts are simply embedded again when next needed.",
    )
    actions = cache.add_subparsers(dest="cache_command", metavar="{show,clear}")
    show = actions.add_parser("show", help="where the cache is, and its size per model (the default)")
    show.add_argument("--json", action="store_true", help="print the cache files as JSON")
    actions.add_parser("clear", help="delete the cached vectors of every model and the trained theme classifiers")
    cache.add_argument("--json", action="store_true", help="print the cache files as JSON")
    cache.set_defaults(run=cmd_cache)


def cmd_cache(args: argparse.Namespace) -> int:
    if args.cache_command == "clear":
        removed = clear_cache()
        print(f"cleared {removed} cache file(s) (vectors and trained theme classifiers) in {default_folder()}")
        return EXIT_OK
    stats = cache_stats()
    if args.json:
        print_json([{"path": str(s.path), "entries": s.entries, "bytes": s.bytes} for s in stats])
    elif not stats:
        print(f"no cached vectors in {default_folder()}")
    else:
        for s in stats:
            print(f"{s.path.name}\t{s.entries:,} vectors\t{s.bytes / 1e6:.1f} MB")
        print(f"in {default_folder()}; coach cache clear empties it")
    return EXIT_OK
