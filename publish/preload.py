"""Imported once by the PDF workers' fork server (see :func:`publish.pdf.worker_context`):
every worker it forks starts warm — WeasyPrint imported, its fonts and stylesheet loaded by
one small PDF; matplotlib imported and set up by one small chart — instead of each worker
warming itself, and the building process never imports matplotlib (a build in a new process
has its charts drawn by the workers: ~0.6 s less on its critical path).

Nothing here may stop the fork server: whatever fails, a worker warms itself (publish.pdf.warm)
or draws its first chart cold."""
try:
    from . import charts, pdf

    pdf.html_to_pdf("<p>warm</p>", "A4")
    charts.setup()
except Exception:  # pragma: no cover - e.g. no fonts: the workers warm themselves
    pass
