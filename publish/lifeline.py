"""Worker processes that end when the process they work for ends, however it ends (kill -9 too).

A pool's workers (the PDF workers, the build's forked side processes) otherwise outlive a
killed ``dun publish``: each waits for work on a queue it holds both ends of, so it never
hears that its parent is gone; the fork server and multiprocessing's resource tracker, which
wait for every worker to let go of them, then stay too (~200 MB each).

:func:`exit_with_parent`, run first in each worker (a pool ``initializer``), starts a thread
that waits for the process that started the worker and ends the worker when it has gone. It
waits on the process itself (a pidfd, Linux) and on multiprocessing's parent sentinel (a pipe
that reads end-of-file once the parent is gone, everywhere). ``PR_SET_PDEATHSIG`` would not do:
a fork-server worker's parent is the fork server, and the signal follows the *thread* that
forked, which for our pools is a short-lived starter thread.
"""
from __future__ import annotations

import os
import threading


def exit_with_parent() -> None:
    """End this worker process as soon as the process that started it has gone."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:  # not a worker
        return
    handles = [parent.sentinel]
    pidfd = getattr(os, "pidfd_open", None)
    if pidfd is not None:
        try:
            handles.append(pidfd(parent.pid))
        except ProcessLookupError:  # gone already
            os._exit(1)
        except OSError:  # no pidfd here (old kernel, sandbox): the sentinel alone
            pass
    threading.Thread(target=_wait_then_exit, args=(handles,), name="dun-lifeline", daemon=True).start()


def _wait_then_exit(handles: list[int]) -> None:
    from multiprocessing.connection import wait

    wait(handles)
    os._exit(1)
