"""`feeder map --plan` reads the spec in the scorecard.json beside the plan, as `feeder serve` does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_maps import FLOWS, SCHOOLS

from feeder.cli import main

EDIT = re.compile(r"var FEEDER_EDIT = (\{.*?\});</script>", re.S)
PLAN = "school_id,portfolio\nH1,A\nM1,A\nE1,A\nE2,A\nH2,B\nM2,B\nE3,B\nS1,B\n"


def edit_data(folder: Path) -> dict:
    """The overview page's FEEDER_EDIT: what its scorecard judges the plan by."""
    match = EDIT.search((folder / "index.html").read_text(encoding="utf-8"))
    assert match, "no FEEDER_EDIT in index.html"
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_map_judges_the_plan_by_the_spec_recorded_beside_it(make_district, tmp_path: Path, capsys) -> None:
    district = make_district(SCHOOLS, FLOWS)
    designed = tmp_path / "designed"
    designed.mkdir()
    (designed / "portfolios.csv").write_text(PLAN, encoding="utf-8")
    spec = {
        "min_size": 3,
        "max_size": 5,
        "k": 2,
        "max_enrollment": 2100,
        "max_high_schools": 1,
        "contiguous": False,
        "locks": {"B": ["E3", "S1"]},
    }
    (designed / "scorecard.json").write_text(json.dumps({"spec": spec}), encoding="utf-8")
    assert (
        main(["map", str(district), "--plan", str(designed / "portfolios.csv"), "--out", str(tmp_path / "m")])
        == 0
    )
    edit = edit_data(tmp_path / "m")
    judged = {
        key: edit[key] for key in ("minSize", "maxSize", "k", "maxEnrollment", "maxHighSchools", "contiguous")
    }
    assert judged == {
        "minSize": 3,
        "maxSize": 5,
        "k": 2,
        "maxEnrollment": 2100,
        "maxHighSchools": 1,
        "contiguous": False,
    }
    assert edit["locks"] == [["E3", "B"], ["S1", "B"]]  # locked when the page opens, as in serve
    assert f"the spec in {designed / 'scorecard.json'}" in capsys.readouterr().out


def test_map_without_a_scorecard_beside_the_plan_uses_the_defaults(
    make_district, tmp_path: Path, capsys
) -> None:
    district = make_district(SCHOOLS, FLOWS)
    (tmp_path / "portfolios.csv").write_text(PLAN, encoding="utf-8")
    assert (
        main(["map", str(district), "--plan", str(tmp_path / "portfolios.csv"), "--out", str(tmp_path / "m")])
        == 0
    )
    edit = edit_data(tmp_path / "m")
    assert (edit["minSize"], edit["maxSize"], edit["locks"]) == (12, 24, [])
    assert "no scorecard.json beside" in capsys.readouterr().out


def test_a_broken_scorecard_beside_the_plan_is_one_line(make_district, tmp_path: Path, capsys) -> None:
    district = make_district(SCHOOLS, FLOWS)
    (tmp_path / "portfolios.csv").write_text(PLAN, encoding="utf-8")
    (tmp_path / "scorecard.json").write_text('{"spec": {"min_size": "big"}}', encoding="utf-8")
    assert (
        main(["map", str(district), "--plan", str(tmp_path / "portfolios.csv"), "--out", str(tmp_path / "m")])
        == 2
    )
    error = capsys.readouterr().err
    assert error.startswith("error: scorecard.json: ") and error.count("\n") == 1
    assert not (tmp_path / "m").exists()
