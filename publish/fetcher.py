"""A WeasyPrint URL fetcher that serves our own assets and nothing else.

WeasyPrint >= 70 routes every resource (stylesheets, fonts, images, attachments) through
the fetcher. Ours answers only ``file:`` URLs that resolve (symlinks followed) to a file
inside ``site_templates/assets``; anything else — the network, ``data:``, any other file
such as ``file:///etc/passwd`` — is refused, so a hostile note cannot pull a file or a
URL into a PDF.
"""
from __future__ import annotations

import copy
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from .paths import ASSETS


class RefusedURL(ValueError):
    pass


class AssetFetcher(URLFetcher):
    """Serve files under ``root`` (default: site_templates/assets); refuse everything else."""

    def __init__(self, root: Path | str = ASSETS, **kwargs) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1, **kwargs)
        self.root = Path(os.path.realpath(root))
        self.served: list[str] = []
        self.refused: list[str] = []
        self._cache: dict[str, bytes] = {}
        self.extra: dict[str, tuple[bytes, str]] = {}

    def with_extra(self, extra: dict[str, tuple[bytes, str]]) -> "AssetFetcher":
        """This fetcher, also serving ``extra`` (exact URL -> (body, content type)) from memory:
        documents we made ourselves, such as a report's SVG charts. Nothing is read from disk
        for them, and every other URL goes through the same rules."""
        other = copy.copy(self)
        other.extra = extra
        return other

    def resolve(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused {url[:80]!r}: only our own assets are served")
        path = Path(os.path.realpath(unquote(parts.path)))
        if path != self.root and self.root not in path.parents:
            raise RefusedURL(f"refused {url[:80]!r}: outside {self.root}")
        if not path.is_file():
            raise RefusedURL(f"refused {url[:80]!r}: no such asset")
        return path

    def fetch(self, url, headers=None):
        got = self.extra.get(url)
        if got is not None:
            self.served.append(url)
            return URLFetcherResponse(url, got[0], {"Content-Type": got[1]})
        try:
            path = self.resolve(url)
        except RefusedURL:
            self.refused.append(url)
            raise
        key = str(path)
        body = self._cache.get(key)
        if body is None:
            body = path.read_bytes()
            self._cache[key] = body
        self.served.append(key)
        kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if key.endswith(".ttf"):
            kind = "font/ttf"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": kind})

    def open(self, url, data=None, timeout=None):  # never reach urllib's openers
        target = url.full_url if hasattr(url, "full_url") else url
        return self.fetch(target)
