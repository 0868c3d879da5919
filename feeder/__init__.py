"""feeder: feeder-pattern portfolios for school districts.

The public API, in the order data flows::

    district = feeder.load_district("data/sample")          # validated tables + cached structures
    graph = feeder.FeederGraph(district)                     # patterns, split feeders, leakage
    spec = feeder.DesignSpec(min_size=12, max_size=24, within_region=True)
    plan = feeder.design(district, spec=spec, seed=0)        # a Plan meeting every hard constraint
    plan.score()                                             # the METRICS.md scorecard
    feeder.render_maps(plan, "maps")                          # offline cohort maps
    feeder.check_alignment(district, plan)                   # program continuity along feeders
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from feeder.ctrl_c import libraries_loading

if TYPE_CHECKING:
    from feeder.alignment import check_alignment
    from feeder.constraints import violations
    from feeder.design import design
    from feeder.district import District, load_district
    from feeder.errors import FeederError, InfeasibleError, InputError, InternalError, OptionError
    from feeder.graph import FeederGraph
    from feeder.maps import render_maps
    from feeder.plan import Plan, Provenance
    from feeder.spec import DesignSpec

# Each name is imported on first use, so that `feeder --help` (whose module lives in this package)
# does not first load pandas, scipy, folium and the designer.
API = {
    "DesignSpec": "feeder.spec",
    "District": "feeder.district",
    "FeederError": "feeder.errors",
    "FeederGraph": "feeder.graph",
    "InfeasibleError": "feeder.errors",
    "InputError": "feeder.errors",
    "InternalError": "feeder.errors",
    "OptionError": "feeder.errors",
    "Plan": "feeder.plan",
    "Provenance": "feeder.plan",
    "check_alignment": "feeder.alignment",
    "design": "feeder.design",
    "load_district": "feeder.district",
    "render_maps": "feeder.maps",
    "violations": "feeder.constraints",
}
__all__ = [
    "DesignSpec",
    "District",
    "FeederError",
    "FeederGraph",
    "InfeasibleError",
    "InputError",
    "InternalError",
    "OptionError",
    "Plan",
    "Provenance",
    "check_alignment",
    "design",
    "load_district",
    "render_maps",
    "violations",
]


def __getattr__(name: str) -> Any:
    if name not in API:
        raise AttributeError(f"module 'feeder' has no attribute {name!r}")
    with libraries_loading(message="interrupted: nothing was written"):
        value = getattr(importlib.import_module(API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *API})


class Package(types.ModuleType):
    """This package: the first import of the subpackage feeder.design must not replace the
    public function feeder.design with the subpackage (Python binds a new submodule to its
    parent's attribute of the same name)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and API.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = Package
