"""Where the templates and assets live."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "site_templates"
ASSETS = TEMPLATES / "assets"
MESSAGES = TEMPLATES / "messages"
CACHE = ".dun-cache"  # in the site: cached pieces of outputs, carried from build to build; not outputs themselves
