"""Program alignment along feeder patterns (project issue 5).

Students leaving an elementary school should find the same instructional programs at
their middle school. `check_alignment` checks that flow by flow against rules
(`load_rules`, format in feeder/rules/default.toml); `broken_edges` feeds the map layer
and `pathway_weights` the designer.
"""

from feeder.alignment.check import AlignmentResult, broken_edges, check_alignment, pathway_weights
from feeder.alignment.rules import Family, Rules, default_rules, load_rules

__all__ = [
    "AlignmentResult",
    "Family",
    "Rules",
    "broken_edges",
    "check_alignment",
    "default_rules",
    "load_rules",
    "pathway_weights",
]
