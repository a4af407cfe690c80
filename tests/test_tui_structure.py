"""How the app's code hangs together: screens reach each other through the app, never by
importing one another; worker threads talk to the screen thread by typed messages."""
from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"


def screen_modules() -> dict[str, Path]:
    """The modules of tui/screens that define a screen (a class named ...Screen; base.py holds
    the base classes every screen shares)."""
    out = {}
    for path in sorted((TUI / "screens").glob("*.py")):
        tree = ast.parse(path.read_text())
        if path.stem != "base" and any(isinstance(n, ast.ClassDef) and n.name.endswith("Screen") for n in tree.body):
            out[path.stem] = path
    return out


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as a dotted name under tui (relative imports resolved)."""
    package = "tui." + ".".join(path.relative_to(TUI).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_screens_do_not_import_each_other():
    screens = screen_modules()
    assert {"today", "clients", "invoices", "client_detail", "receipts", "reports"} <= set(screens)
    offenders = {}
    for name, path in screens.items():
        others = {f"tui.screens.{o}" for o in screens if o != name}
        hit = imported_modules(path) & others
        if hit:
            offenders[name] = sorted(hit)
    assert offenders == {}


def test_workers_post_messages_instead_of_calling_into_the_ui():
    users = [str(p.relative_to(TUI)) for p in TUI.rglob("*.py") if "call_from_thread" in p.read_text()]
    assert users == []


def test_the_first_screen_imports_no_message_templates_or_rendering():
    """What the app needs until Today shows (its modules and Today's) leaves out the drafts'
    Jinja2, Babel and Markdown, publishing and the other screens: they are imported when first
    wanted (the drafts' behind the first screen, tui.engine.ready)."""
    import os
    import subprocess
    import sys

    code = ("import sys, tui.app, tui.screens.loading, tui.screens.today; print(' '.join(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('publish', 'jinja2', 'babel', 'markdown_it', 'weasyprint', 'matplotlib') "
            "or m.startswith('tui.screens.') and m not in ('tui.screens.base', 'tui.screens.loading', "
            "'tui.screens.today', 'tui.screens.outcomes'))))")
    root = TUI.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == []
