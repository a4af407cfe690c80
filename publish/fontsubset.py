"""Make the lean Latin font the statements and reports embed (run once; output committed).

We ship a small subset of DejaVu Sans (Latin-1, Latin Extended-A, the euro, pound and
typographic punctuation; no hinting, no layout tables) under a family name of our own, so a
system font never stands in. Each PDF embeds only the glyphs it draws of it (subset by
HarfBuzz); where WeasyPrint has no HarfBuzz subsetter, it is small enough to embed whole
(see ``publish.pdf._options``)::

    python -m publish.fontsubset [/usr/share/fonts/truetype/dejavu]

DejaVu fonts are free to copy and redistribute (see site_templates/assets/fonts/LICENSE).
"""
from __future__ import annotations

import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "site_templates" / "assets" / "fonts"

# Basic Latin, Latin-1, Latin Extended-A, and the punctuation and symbols we print.
UNICODES = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + [0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D,
       0x201E, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203A, 0x2044, 0x20AC,
       0x2116, 0x2122, 0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x2248, 0x2260, 0x2264,
       0x2265, 0x2009, 0x202F, 0x200B, 0x2060, 0xFFFD, 0x25B2, 0x25BC, 0x2713]
)

FACES = {"DejaVuSans.ttf": "dun-sans.ttf", "DejaVuSans-Bold.ttf": "dun-sans-bold.ttf",
         "DejaVuSansMono.ttf": "dun-mono.ttf"}


def make(source_dir: Path, out_dir: Path = ASSETS) -> list[Path]:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for src, dst in FACES.items():
        options = subset.Options()
        options.hinting = False
        options.layout_features = []  # no GSUB/GPOS: nothing for WeasyPrint to parse per PDF
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "DSIG"]
        options.glyph_names = False
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
        options.notdef_outline = True
        font = TTFont(source_dir / src)
        sub = subset.Subsetter(options)
        sub.populate(unicodes=UNICODES)
        sub.subset(font)
        # A family name of our own so a system DejaVu can never be picked up instead.
        family = "Dun Mono" if "Mono" in src else "Dun Sans"
        for rec in font["name"].names:
            if rec.nameID in (1, 16):
                rec.string = family
            elif rec.nameID in (4,):
                rec.string = f"{family} Bold" if "Bold" in src else family
            elif rec.nameID == 6:
                rec.string = family.replace(" ", "") + ("-Bold" if "Bold" in src else "")
        path = out_dir / dst
        font.save(path)
        made.append(path)
    return made


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/fonts/truetype/dejavu")
    for p in make(src):
        print(p, p.stat().st_size, "bytes")
