"""Every client's documents kept grouped by client (store.clientdocs), for later readings'
``client_book``. One part of :class:`store.repository.Repository`, kept apart so it can go
in one place."""
from __future__ import annotations

from receivables.tuning import quiet_gc

from . import clientdocs, codec
from .loading import _owner


class KeptClientDocs:
    """The kept copy of every client's documents (a part of :class:`store.repository.Repository`)."""

    def _kept_client_docs(self, client_id: str) -> dict[str, list[dict]] | None:
        """The client's documents from the copy kept grouped by client (store.clientdocs) and
        the journal since, or None when there is no copy this reading can bring up to date."""
        changes = self._tables.changes
        if changes is None:
            return None
        path = clientdocs.path_of(self.cache_id)
        got = clientdocs.read(path, client_id) if path is not None else None
        if got is None:
            return None
        mark, docs = got
        ops = changes.ops_since(mark)
        if ops is None:
            return None
        with self._readable():
            return clientdocs.apply(client_id, docs, ops, _owner)

    def save_client_docs(self) -> bool:
        """Keep every client's documents grouped by client (store.clientdocs) for later readings'
        :meth:`client_book`, unless a copy this reading can bring up to date is kept already.
        Parses every table (slow on a large book): for a side process of a
        reader that reads the whole book anyway. True if a usable copy is kept."""
        changes = self._tables.changes
        if changes is None:
            return False
        if self.client_docs_usable():
            return True
        path = clientdocs.path_of(self.cache_id)
        if path is None:
            return False
        mark = changes.mark()
        with quiet_gc():
            by = clientdocs.group({name: self._tables.peek(name) for name in self._tables.names()
                                   if name != "meta" and name not in codec.BOOK_LEVEL},
                                  _owner)
            if by is None:
                return False
            try:
                clientdocs.write(path, mark, by)
            except OSError:  # a cache: the next reading reads the tables instead
                return False
        return True

    def client_docs_usable(self) -> bool:
        """Whether the kept copy of every client's documents serves this reading."""
        changes = self._tables.changes
        path = clientdocs.path_of(self.cache_id)
        kept = clientdocs.read_mark(path) if path is not None else None
        return changes is not None and kept is not None and changes.ops_since(kept) is not None
