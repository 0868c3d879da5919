"""Printing report.html to PDF with a headless Chromium or Chrome already on the machine.

Browsers lay out print pages far better than any Python PDF library, and planners have
one; feeder only looks for it. FEEDER_CHROME may name the browser's executable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from feeder.errors import FeederError, OptionError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT_S = 180
RENDER_BUDGET_MS = 20000


def find_browser() -> str:
    """The path of a Chromium/Chrome executable, or an OptionError saying how to get one."""
    named = os.environ.get("FEEDER_CHROME")
    if named:
        found = shutil.which(named)
        if found is None:
            raise OptionError(f"--pdf: FEEDER_CHROME names '{named}', which is not an executable")
        return found
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        raise OptionError(
            f"--pdf: no Chromium or Chrome found (looked for {', '.join(BROWSERS)}); install chromium, "
            "set FEEDER_CHROME to the browser, or print report.html from a browser"
        )
    return found


def print_to_pdf(browser: str, page: Path) -> bytes:
    """The PDF bytes of `page` (an HTML file whose scripts are beside it), printed headless."""
    with tempfile.TemporaryDirectory(prefix="feeder-pdf-") as scratch:
        target = Path(scratch) / "report.pdf"
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--virtual-time-budget={RENDER_BUDGET_MS}",
            f"--print-to-pdf={target}",
            page.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise FeederError(f"--pdf: {browser} could not print the report ({error})") from None
        if not target.exists() or target.stat().st_size == 0:
            raise FeederError(
                f"--pdf: {browser} ran but wrote no PDF; print report.html from a browser instead"
            )
        return target.read_bytes()
