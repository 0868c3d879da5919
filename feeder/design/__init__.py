"""The portfolio designer: contiguous, size-bounded portfolios that keep feeder flows together.

`design(district, ...)` returns a Plan. One module per job:

- problem.py      district arrays; blocks (regions with within_region) and their search graph
- feasibility.py  which portfolio counts are possible, and one-line reasons when none is
- objective.py    the objective (cohesion, K-12, compactness, balance, stability) and weights
- limits.py       per-portfolio hard limits on column sums (sizes, students, high schools, locks)
- locks.py        --lock files, lock indicator columns, lock names on the finished plan
- effort.py       --effort: restarts and iteration budgets, never wall time
- restarts.py     independent restarts in worker processes (--jobs), best one kept in fixed order
- elite.py        after the restarts: more search where the best plan differs from the others
- pool.py         recombining every portfolio the search built, by set partitioning (HiGHS)
- exact_recut.py  last: the best split of adjacent portfolios by a small MIP (feeder.exact.recut)
- starts.py       METIS-guided starts: tree costs raised across METIS part boundaries
- trees.py        random spanning trees and every tree cut at once (subtree sums, cut flow)
- seed.py         first plan: recursive bisection along the cheapest allowed tree cuts
- state.py        the plan under search: members and running totals per portfolio
- moves.py        single-school boundary moves (connectivity-checked)
- swaps.py        two border schools trading portfolios (what full portfolios need)
- recombine.py    re-cutting two adjacent portfolios along random spanning trees (ReCom, greedy)
- search.py       local search, then ruin-and-recreate steps on groups of three portfolios
- naming.py       stable, readable portfolio names
- certify.py      --exact: the exact solver's proven bound (feeder.exact) and, if better, its plan
- designer.py     the entry point tying these together
"""

from feeder.design.designer import design

__all__ = ["design"]
