"""Shared fixtures: the real LCPS district (when present) and tiny district folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest

LCPS = next(
    (p / "shared/data/lcps" for p in Path(__file__).resolve().parents if (p / "shared/data/lcps").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "lcps",
)

MakeDistrict = Callable[..., Path]


LAUSD = next(
    (p / "shared/data/lausd" for p in Path(__file__).resolve().parents if (p / "shared/data/lausd").is_dir()),
    None,
)


@pytest.fixture(scope="module")
def lausd_path() -> Path:
    """The real LAUSD school list (725 schools, no flows), which lives outside the repository."""
    if LAUSD is None:
        pytest.skip("the LAUSD school list (shared/data/lausd) is not beside the repository")
    return LAUSD


@pytest.fixture(scope="session")
def lcps_path() -> Path:
    """The Loudoun County district folder, which lives outside the repository."""
    if not (LCPS / "schools.csv").exists():
        pytest.skip(f"real LCPS data not found at {LCPS} (it is not shipped with the repository)")
    return LCPS


@pytest.fixture(scope="session")
def make_district(tmp_path_factory: pytest.TempPathFactory) -> MakeDistrict:
    """Write a district folder from rows; session-scoped so hypothesis tests may use it too.

    schools: one dict per school (columns as keys, written as text);
    flows: (from_id, to_id, students) rows, or None for no flows.csv.
    """

    def make(schools: Sequence[dict], flows: Sequence[Sequence] | None = ()) -> Path:
        folder = tmp_path_factory.mktemp("district")
        pd.DataFrame(list(schools), dtype=str).to_csv(folder / "schools.csv", index=False)
        if flows is not None:
            table = pd.DataFrame(list(flows), columns=["from_id", "to_id", "students"], dtype=str)
            table.to_csv(folder / "flows.csv", index=False)
        return folder

    return make


@pytest.fixture(scope="module")
def fresh_folder(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A new folder path per call: hypothesis runs a test many times, each with its own district."""
    root = tmp_path_factory.mktemp("generated")
    counter = iter(range(10**6))
    return lambda: root / f"d{next(counter)}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium that reaches no network host, so a page that works offline is seen to."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chromium, chromedriver = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
    for path in (chromium, chromedriver):
        if not path.exists():
            pytest.skip(f"{path} not found (apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    profile = tmp_path_factory.mktemp("profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=900,1100",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(chromedriver)), options=options)
    yield driver
    driver.quit()
