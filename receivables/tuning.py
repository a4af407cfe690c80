"""How dun uses the machine: the garbage-collector policy and every speed threshold, in one place.

None of these change an answer, only how fast it comes: a "cached equals uncached" test
covers each path they choose between. The figures that justify them are in
``benchmarks/README.md`` (never in comments here: they would go stale).

**Garbage collection.** A loaded book is millions of small objects that hold no reference
cycles (records, and what the engine keeps about them): reference counting frees them. The
cyclic collector would only walk them over and over, so:

- :func:`quiet_gc` pauses it while many objects are built at once (loading, deriving), and
  with ``keep`` hides what was built from it before it runs again;
- :func:`keep_for_life` moves what is loaded now out of its sight for good (a book the app
  or a command keeps until it exits; a forked worker's inherited heap);
- :func:`collecting` turns it back on for work that does make cycles (WeasyPrint), and
  :func:`settle_forked_heap` does both in a forked PDF worker.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager

# -- thresholds ------------------------------------------------------------------------------
# derived/, publish/: up to this many clients are derived (or their pages made) from their own
# records read one at a time; more, and the whole book is read once and grouped by client
FEW_CLIENTS = 40
# derived/: from this many clients, a first start shares working out what is due with a helper
# process (derived.share), one client at a time from the last
SHARE_CLIENTS = 400
# derived/: clients per write of that helper: the app's worker, reading the book meanwhile, is
# interrupted once per write (its reader thread takes the interpreter), not once per client
SHARE_BATCH = 50
# derived/: that helper only when the memory the system can give without swapping is at least
# this many times book.json's size (the helper and the app each hold several times it at once)
SHARE_MEMORY = 16
# publish/: clients per cached part of the report PDF's listing (two pages)
REPORT_CHUNK = 140
# store/: book.json is rewritten (a checkpoint) once the journal holds this many bytes or entries
CHECKPOINT_BYTES = 4 * 1024 * 1024
CHECKPOINT_ENTRIES = 2000
# tui/: at most this many seconds the app's reading of the book waits for the kept queue (the
# preview) to be drawn first, so the two do not compete for the interpreter
PREVIEW_DRAW_WAIT = 2.0
# tui/: then this many seconds more, so the drawn queue reaches the terminal (the driver's
# writer thread) before reading the book holds the interpreter (the store parses each large
# table in one call)
PREVIEW_SETTLE = 0.1
# tui/: the loading screen shows the seconds it has waited, redrawn this often (an animation
# redrawn many times a second takes the interpreter from the worker reading the book)
LOADING_TICK = 1.0


# -- garbage collection ------------------------------------------------------------------------

@contextmanager
def quiet_gc(keep: bool = False):
    """Pause the cyclic garbage collector while many objects are built (nothing is held longer:
    the records make no cycles). ``keep``: what the block built is kept for life (a loaded
    book): it leaves the collector's sight before the collector runs again, whose first young
    collection would otherwise walk every object the block made."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
        if keep:
            keep_for_life()
    finally:
        if was:
            gc.enable()


@contextmanager
def collecting():
    """The collector on for the block (work that makes reference cycles), as it was after."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def keep_for_life(collect_young: bool = False) -> None:
    """Everything alive now is kept until exit (or freed by reference counting): later
    collections no longer walk it. ``collect_young`` first collects the youngest generation
    (the garbage of the work just done)."""
    if collect_young:
        gc.collect(0)
    gc.freeze()


def settle_forked_heap() -> None:
    """In a forked worker: the heap inherited from the parent (a loaded book) is kept for
    life, and the collector is on for the worker's own work (the parent may have paused it
    when it forked; WeasyPrint makes cycles)."""
    gc.freeze()
    gc.enable()
