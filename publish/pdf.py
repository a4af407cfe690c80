"""HTML to PDF with WeasyPrint: cached fonts and stylesheets, our own fetcher, in parallel.

Speed: each process keeps one ``FontConfiguration`` and the parsed print stylesheet per
paper size; how a PDF is written (only the glyphs it draws of the lean ``Dun Sans`` font
embedded, a lean user-agent stylesheet) is ``publish.weasy``'s. Nothing but our assets is
ever fetched.
Several PDFs render in a ``ProcessPoolExecutor`` with one worker per core; each worker
warms its caches once.
"""
from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import Callable, Iterator

from .paths import ASSETS
from .weasy import BASE_URL, PAPERS, Sheets, render, stylesheets

PRINT_CSS = ASSETS / "print.css"


@lru_cache(maxsize=1)
def _font_config():
    import atexit

    from weasyprint.text.fonts import FontConfiguration

    # Dropped at exit, before the interpreter tears WeasyPrint's modules down: its __del__
    # removes a temporary folder with a function that teardown may already have cleared.
    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


@lru_cache(maxsize=1)
def fetcher():
    """Our URL fetcher (publish.fetcher). Imported here, not at the top: the building process
    renders no PDF itself when the workers do, and WeasyPrint takes ~0.8 s to import."""
    from .fetcher import AssetFetcher

    return AssetFetcher()


def _stylesheets(paper: str) -> Sheets:
    """The print stylesheet and the page size, parsed once per process for each paper and each
    version of print.css: the cache is keyed by the file's bytes, so an edited stylesheet is
    parsed again (with the process's one font configuration, see :func:`stylesheets`)."""
    return _parsed_stylesheets(PRINT_CSS.read_bytes(), PAPERS.get(paper, "A4"))


@lru_cache(maxsize=4)
def _parsed_stylesheets(css: bytes, size: str) -> Sheets:
    return stylesheets(css, size, _font_config(), fetcher())


def html_to_pdf(html: str, paper: str = "A4", title: str | None = None,
                resources: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """Render one HTML document (without its own stylesheet links) to PDF bytes.

    ``resources`` (URL relative to the assets -> (body, content type)) are documents of our own
    the HTML refers to, served from memory: the report's charts go in as ``<img>`` of an SVG,
    which WeasyPrint draws about twice as fast as the same SVG inline (inline, every element of
    the chart also goes through the HTML cascade)."""
    fetch = fetcher()
    if resources:
        fetch = fetch.with_extra({BASE_URL + rel: v for rel, v in resources.items()})
    pdf = render(html, _stylesheets(paper), _font_config(), fetch)
    if not _warm:
        _warm.append(True)
    return pdf


def warm(paper: str = "A4") -> None:
    """Load fonts and parse the stylesheet once (pool initializer); end with the parent."""
    from receivables.tuning import settle_forked_heap

    from .lifeline import exit_with_parent

    exit_with_parent()  # a killed publish leaves no worker (and so no fork server) behind

    settle_forked_heap()  # the parent's book out of the collector's sight; WeasyPrint's cycles collected
    if not _warm:  # a fork of a process that has rendered a PDF is warm already
        html_to_pdf("<p>warm</p>", paper)


_warm: list[bool] = []  # set once this process has rendered a PDF (and so a fork of it is warm)


def _job(item: tuple) -> tuple[str, bytes]:
    key, html, paper, *resources = item
    return key, html_to_pdf(html, paper, resources=resources[0] if resources else None)


def fork_context():
    """The ``fork`` start method where there is one (not on Windows): a forked worker sees the
    parent's memory as it was at the fork, so a job can read a loaded book without pickling it."""
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def worker_context():
    """Where the PDF workers come from: a fork server that has imported WeasyPrint once, so a
    worker starts warm in ~0.2 s. Forking the building process instead would share its memory
    with the workers, and every record the engine then touches (its reference count) would be
    copied page by page: ~0.5-1 s more on a 100,000-invoice book. The workers only need the
    HTML they are sent. Where there is no fork server (Windows), the platform's default."""
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:
        return None
    ctx.set_forkserver_preload(["publish.pdf", "publish.preload"])
    return ctx


@contextmanager
def _stderr_with_fd():
    """The fork server and multiprocessing's resource tracker start with this process's stderr;
    inside the app it has no file descriptor (Textual captures it), so lend them /dev/null."""
    try:
        ok = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        ok = False
    if ok:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w") as null:
        sys.stderr = null
        try:
            yield
        finally:
            sys.stderr = saved


@contextmanager
def _safe_path():
    """The fork server is a fresh ``python -c``, whose ``sys.path`` would begin with the current
    folder: a ``publish.py`` or ``publish/`` there (wherever the owner runs ``dun publish``)
    would stand in for this package and every worker would die. PYTHONSAFEPATH (Python 3.11)
    leaves the current folder out."""
    old = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = old


def _settle(placeholder: Future, done: Future) -> None:
    """Hand a worker's answer to the future given out while the workers were starting (unless
    an abandoned build cancelled that one)."""
    from concurrent.futures import InvalidStateError

    try:
        if done.cancelled():
            placeholder.cancel()
        elif done.exception() is not None:
            placeholder.set_exception(done.exception())
        else:
            placeholder.set_result(done.result())
    except InvalidStateError:
        pass


def done_future(fn, *args) -> Future:
    """``fn(*args)`` run here and now, as a finished future."""
    fut: Future = Future()
    try:
        fut.set_result(fn(*args))
    except BaseException as exc:  # handed to whoever asks for the result
        fut.set_exception(exc)
    return fut


class PdfQueue:
    """PDFs rendered by a pool of ``workers`` processes while the caller goes on with other
    work (the site's HTML, CSV and charts); results come back in submission order.

    :meth:`start` starts and warms every worker at once (from a fork server, see
    :func:`worker_context`), before the caller's own long first step (deriving the ledger):
    warming then costs nothing, and when the PDFs come both cores render them. Work handed
    over before the workers are up waits in a backlog the starting thread sends on, so the
    caller never waits for them before it needs a result.
    With one worker (or ``workers=1``) everything renders in this process at :meth:`results`.
    """

    def __init__(self, workers: int | None = None, keep: bool = False) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.keep = keep  # a long-lived caller (the app): the warm workers stay for its next build
        self._own_pool: ProcessPoolExecutor | None = None
        self._starter: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._paper: str | None = None  # the paper the workers were started for
        self._backlog: list[tuple[Future, Callable, tuple]] | None = None  # while the workers start
        self._backlog_lock = threading.Lock()
        self.items: list = []

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The workers (once :meth:`start` has them running)."""
        starter = self._starter
        if starter is not None and starter is not threading.current_thread():
            starter.join()
            self._starter = None
        return self._own_pool

    def _kept(self, paper: str) -> ProcessPoolExecutor | None:
        kept = _KEPT.get((paper, self.workers))
        return kept if kept is not None and not getattr(kept, "_broken", False) else None

    def _pool(self, paper: str) -> ProcessPoolExecutor:
        if self.pool is None and self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error
        if self.pool is None and self.keep:
            # one kept pool at a time (the paper may have changed); two builders asking at once
            # (the app readying its first publish, and a publish) share the one started first
            with _KEPT_LOCK:
                kept = self._kept(paper)
                if kept is None:
                    release_workers()
                    kept = _KEPT[(paper, self.workers)] = self._new_pool(paper)
                self._own_pool = kept
        if self.pool is None:
            self._own_pool = self._new_pool(paper)
        return self._own_pool

    def _new_pool(self, paper: str) -> ProcessPoolExecutor:
        pool = None
        try:
            with _stderr_with_fd(), _safe_path():
                pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=worker_context(),
                                           initializer=warm, initargs=(paper,))
                pool.submit(int)  # starts the workers (and the fork server) now
        except (OSError, ValueError):  # no fork server to be had: fork this process, slower but sure
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=fork_context(), initializer=warm,
                                       initargs=(paper,))
        return pool

    def start(self, paper: str) -> None:
        """Start (and warm) the workers now, so they are ready by the time PDFs are queued.

        A fresh fork server answers only once it has imported WeasyPrint (~0.8 s): that wait
        happens on a thread of its own, while the caller goes on; the first :meth:`submit`
        (or :attr:`pool`) waits for it."""
        if self.workers <= 1 or self.pool is not None:
            return
        self._paper = paper
        if self.keep and self._kept(paper) is not None:
            self._pool(paper)
            return
        # what the thread would import, imported here: a fork made meanwhile (a side process)
        # must not inherit a module lock that thread holds
        import concurrent.futures.process  # noqa: F401
        import multiprocessing.forkserver  # noqa: F401
        import multiprocessing.resource_tracker  # noqa: F401

        def run() -> None:
            pool, error = None, None
            try:
                pool = self._pool(paper)
            except BaseException as exc:  # handed to the first submit
                self._start_error = error = exc
            with self._backlog_lock:
                waiting, self._backlog = self._backlog or [], None
            for placeholder, fn, args in waiting:
                if pool is None:
                    placeholder.set_exception(error)
                    continue
                try:
                    pool.submit(fn, *args).add_done_callback(lambda done, p=placeholder: _settle(p, done))
                except BaseException as exc:  # a broken pool: whoever waits for the result hears it
                    placeholder.set_exception(exc)

        self._backlog = []
        self._starter = threading.Thread(target=run, name="dun-pdf-workers", daemon=True)
        self._starter.start()

    def _send(self, fn, *args) -> Future:
        """``fn(*args)`` on the workers; into the backlog while they are starting."""
        with self._backlog_lock:
            if self._backlog is not None:
                placeholder: Future = Future()
                self._backlog.append((placeholder, fn, args))
                return placeholder
        return self._pool(self._paper).submit(fn, *args)

    def call(self, fn, *args) -> Future | None:
        """``fn(*args)`` on a worker (started by :meth:`start`), or None when there are none."""
        if self.workers <= 1 or self._paper is None:
            return None
        return self._send(fn, *args)

    def submit(self, key: str, html: str, paper: str, resources: dict | None = None) -> None:
        job = (key, html, paper, resources)
        if self.workers > 1:
            from concurrent.futures.process import BrokenProcessPool

            if self._paper is None:
                self._paper = paper
            try:
                self.items.append((key, self._send(_job, job), job))
                return
            except BrokenProcessPool:  # a worker died (killed, out of memory): rendered here
                pass
        self.items.append((key, None, job))

    def __len__(self) -> int:
        return len(self.items)

    @property
    def in_process(self) -> bool:
        return self.workers <= 1

    def results(self) -> Iterator[tuple[str, bytes]]:
        from concurrent.futures.process import BrokenProcessPool

        for key, future, job in self.items:
            if future is None:
                yield _job(job)
                continue
            try:
                yield future.result()
            except BrokenProcessPool:  # a worker died while rendering: rendered here
                yield _job(job)

    def close(self) -> None:
        if self.pool is not None:
            if self.keep and not getattr(self.pool, "_broken", False):
                for _, future, _ in self.items:  # an abandoned build: its queued PDFs are not wanted
                    if future is not None:
                        future.cancel()
            else:  # stopped and joined (idle workers exit at once; see release_workers)
                self.pool.shutdown(wait=True, cancel_futures=True)
        self._own_pool = None


_KEPT: dict[tuple[str, int], ProcessPoolExecutor] = {}  # (paper, workers) -> warm pool kept for the next build
_KEPT_LOCK = threading.RLock()


def start_workers(paper: str) -> None:
    """Start the workers for the next build now and keep them (a command about to open a large
    book before it publishes: their fork server imports WeasyPrint and matplotlib meanwhile).
    The build takes them over with ``publish(..., keep_workers=True)``; stop them with
    :func:`release_workers`."""
    PdfQueue(keep=True).start(paper)


def release_workers(wait: bool = False) -> None:
    """Stop the workers kept for the next build (see ``PdfQueue(keep=True)``); ``wait``: and
    join them (a process about to exit: an executor thread still running at exit can race the
    exit's own wake-up call and print "Bad file descriptor")."""
    with _KEPT_LOCK:
        while _KEPT:
            _, pool = _KEPT.popitem()
            pool.shutdown(wait=wait, cancel_futures=True)


def page_numbers_pdf(pages: int, paper: str = "A4", title: str = "") -> bytes:
    """``pages`` blank pages carrying only the print stylesheet's footer: ``title`` bottom left,
    "Page X of Y" bottom right (an overlay for :func:`join_numbered`)."""
    from markupsafe import escape

    css = '"' + str(title).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
    body = '<div style="break-after: page"></div>' * (pages - 1) + "<div></div>"
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>@page {{ @bottom-left {{ content: {css}; }} }}</style></head><body>{body}</body></html>")
    return html_to_pdf(html, paper)


def join_numbered(parts: list[bytes], numbers: Callable[[int], bytes]) -> bytes:
    """Join PDF ``parts`` in order and stamp each page with the matching page of
    ``numbers(total_pages)`` (see :func:`page_numbers_pdf`), so a document rendered in
    separately cached parts is numbered "Page X of Y" across all of them. Each stamp is drawn
    over its page as a form XObject (qpdf, through pikepdf): the page's own content stream is
    left as it is. The same parts give the same bytes (the file's /ID is made from them)."""
    import io

    import pikepdf

    out = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(data)) for data in parts]  # open until saved
    for src in sources:
        out.pages.extend(src.pages)
    overlay = pikepdf.Pdf.open(io.BytesIO(numbers(len(out.pages))))
    for i, (page, stamp) in enumerate(zip(out.pages, overlay.pages), 1):
        # named by the page (pikepdf's add_overlay names it at random: a build would not give
        # the same bytes twice); unique per page, as WeasyPrint's pages share one resource
        # dictionary
        name = pikepdf.Name(f"/DunPage{i}")
        form = stamp.as_form_xobject()
        page.add_resource(form, pikepdf.Name.XObject, name=name)
        draw = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(page.trimbox))
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"Q\n" + draw, prepend=False)
    out.docinfo["/Producer"] = "dun"
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    return buf.getvalue()
