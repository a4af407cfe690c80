"""The receivables domain: records, money, policy, ledger and the collections engine.

Pure Python. Nothing in this package imports textual, tinydb, jinja2 or weasyprint
(a test proves it), reads the clock, or touches the file system except to read a
policy file it is handed.
"""
