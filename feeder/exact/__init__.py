"""Proven cohesion bounds: the best cohesion any plan with every portfolio in range can reach.

One module per stage, data flowing down the list:

- problem.py     the district as arrays: blocks, their portfolio counts, flow edges; option checks
- model.py       the slot MIP (items into portfolio slots, cut edges) for packing and the full model
- represent.py   the representative MIP (a portfolio named by its lowest-ranked school, kept edges)
- pieces.py      stage 1: least cut of each flow component into pieces (a floor on the loss)
- packing.py     stage 2: pieces packed into portfolios (optimal when the floor is met)
- solve.py       stage 3 (the full representative MIP, flow-graph leaves with their parent or
                 spare) and `solve_exact`: the contiguity-free bound
- connectivity.py  the map (Delaunay) inside blocks, connected pieces, minimal separators
- contiguous.py  `solve_contiguous`: the bound for contiguous plans (representative MIP, separator cuts in rounds)
- result.py      ExactResult: bound, best plan, gap, status
- recut.py       for the designer: the best re-cut of a few adjacent portfolios (node-limited)
"""

from feeder.exact.contiguous import ContiguousResult, solve_contiguous
from feeder.exact.result import ExactResult
from feeder.exact.solve import solve_exact

__all__ = ["ContiguousResult", "ExactResult", "solve_contiguous", "solve_exact"]
