"""Imported once by the PDF workers' fork server (see :func:`publish.pdf.worker_context`):
every worker it forks starts warm — WeasyPrint imported, its fonts and stylesheet loaded by
one small PDF — instead of each worker warming itself.

matplotlib is not imported here: the fork server would answer ~0.35 s later, and only one
worker needs it (a build's charts go to one worker in one call, see publish.charts.draw_all),
which imports it while the others render PDFs. The building process never imports it unless
it has it already (the app after its warm-up).

Nothing here may stop the fork server: whatever fails, a worker warms itself (publish.pdf.warm)."""
try:
    from . import pdf

    pdf.html_to_pdf("<p>warm</p>", "A4")
except Exception:  # pragma: no cover - e.g. no fonts: the workers warm themselves
    pass
