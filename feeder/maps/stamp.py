"""The one hook outputs need in map pages: feeder's signature, and a banner when flows are estimated.

The signature (`<meta name="generator" content="feeder">`) lets a later run tell the
cohort pages feeder wrote from files a planner put in the same folder.
"""

from __future__ import annotations

from html import escape

GENERATOR = '<meta name="generator" content="feeder">'
BANNER_STYLE = (
    "position:fixed;bottom:34px;left:440px;max-width:520px;z-index:10000;padding:8px 12px;"
    "background:#fff4c2;border:1px solid #d9a400;border-radius:6px;font:13px/1.35 sans-serif;color:#222;"
    "box-shadow:0 1px 4px rgba(0,0,0,.25)"
)


def stamp(page: str, *, banner: str | None) -> str:
    """The page signed as feeder's, with `banner` (when given) right after <body>."""
    page = page.replace("<head>", f"<head>\n{GENERATOR}", 1)
    if not banner:
        return page
    note = f'<div class="feeder-banner" role="note" style="{BANNER_STYLE}"><b>Estimated flows.</b> {escape(banner)}</div>'
    return page.replace("<body>", f"<body>\n{note}", 1)
