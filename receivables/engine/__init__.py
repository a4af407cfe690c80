"""The collections engine: one client's day from its records, the book's day as their fold.

- :func:`derive_client` (``client.py``): a client's records, the policy and a date give its
  :class:`ClientDay` (open invoices, status, behaviour, risk, actions due, share of the
  report), in two steps (:func:`start_client`: what is due, all a day's queue needs;
  :func:`finish_client`: the rest). Built on ``index.py`` (the client's date-independent
  lookups), ``day.py`` (its state on the date), ``judgement.py`` (behaviour and risk),
  ``ladder.py`` (the actions) and ``figures.py`` (AR, sales, DSO and friends).
- :func:`fold` (``book.py``): every client's day gives the :class:`BookDay` (the agenda,
  most urgent first, and the report, made from the sums of the clients' parts:
  ``totals.py``); :func:`refold` makes the same day after a change from the day before it,
  reading only the changed clients' days.

Every answer about a book is made this one way; ``receivables.agenda`` and
``receivables.report`` keep their functions as thin wrappers over it.
"""
from .book import BookDay, Derivation, agenda_pairs, derivation, fold, group_by_client, refold
from .client import ClientDay, ClientDue, ClientPart, PendingDue, derive_client, finish_client, start_client

__all__ = ["BookDay", "ClientDay", "ClientDue", "ClientPart", "PendingDue", "Derivation", "agenda_pairs",
           "derivation", "derive_client", "finish_client", "fold", "group_by_client", "refold", "start_client"]
