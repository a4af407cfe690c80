"""The characters text from a book (a client's name, a note, an imported reference) must never
carry raw into a terminal or a mail header: C0 and C1 controls and DEL (an escape sequence can
recolour a terminal, retitle its window or worse; a bell rings), and the bidi marks,
embeddings, overrides and isolates (U+202E shows the rest of a line reversed). The book keeps
such text verbatim; each face shows these characters its own way (cli.terminal, tui.fmt,
publish.mail)."""
from __future__ import annotations

import re

BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
CONTROLS = frozenset((*range(0, 32), *range(127, 160), *BIDI))
LINE_BREAKS = frozenset((0x09, 0x0A))  # a tab and a newline, kept where text runs over lines

# every such character but a tab and a newline
UNSAFE = re.compile("[" + "".join(f"\\u{c:04x}" for c in sorted(CONTROLS - LINE_BREAKS)) + "]")
