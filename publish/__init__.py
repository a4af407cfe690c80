"""Publishing: the static report site, PDF statements and letters, message drafts and mail.

Layers (each only uses the ones above it):

- :mod:`publish.formatting` money and dates for a locale (Babel, half-up rounding first);
- :mod:`publish.markdown` safe Markdown (no raw HTML, only http/https/mailto links, no images);
- :mod:`publish.env` the one Jinja environment (autoescape, StrictUndefined);
- :mod:`publish.fetcher` the WeasyPrint URL fetcher that serves only our own assets;
- :mod:`publish.pdf` HTML -> PDF with cached fonts and stylesheet, in parallel;
- :mod:`publish.messages` step messages drafted from ``site_templates/messages/*.md``;
- :mod:`publish.statements` a client's statement of account (data, HTML, PDF);
- :mod:`publish.charts` SVG charts (matplotlib's SVG backend, deterministic);
- :mod:`publish.site` the whole site (index, report, statements, CSV, JSON): :mod:`publish.context`
  gathers (through :mod:`derived`), :mod:`publish.writers` render, reusing only verified files;
- :mod:`publish.mail` .eml drafts in BOOK/outbox and sending them over SMTP.
"""
