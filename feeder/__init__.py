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

from feeder.ctrl_c import libraries_loading

with libraries_loading(message="interrupted: nothing was written"):
    from feeder.alignment import check_alignment
    from feeder.constraints import violations
    from feeder.design import design
    from feeder.district import District, load_district
    from feeder.errors import FeederError, InfeasibleError, InputError, InternalError, OptionError
    from feeder.graph import FeederGraph
    from feeder.maps import render_maps
    from feeder.plan import Plan, Provenance
    from feeder.spec import DesignSpec

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
