"""Terminal reports: scorecards side by side, in words a planner reads."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from feeder.district import District
from feeder.terminal import markup_safe

ROWS: tuple[tuple[str, str, str], ...] = (
    ("n_portfolios", "portfolios", "{}"),
    ("size_ok", "sizes in range", "{}"),
    ("cohesion", "cohesion (students kept together)", "{:.4f}"),
    ("cohesion_bound", "proven best cohesion", "{:.4f}"),
    ("split_schools", "split schools (>10% leave portfolio)", "{}"),
    ("contiguous", "contiguous portfolios", "{:.0%}"),
    ("k12_complete", "K-12 complete portfolios", "{:.0%}"),
    ("mean_km", "mean km to meeting site", "{:.2f}"),
    ("max_km", "max km to meeting site", "{:.2f}"),
    ("enrollment_cv", "enrollment CV", "{:.3f}"),
    ("need_cv", "need CV", "{:.3f}"),
    ("in_region", "portfolios inside one region", "{:.0%}"),
    ("moved", "schools moved from today's plan", "{}"),
)


def print_scorecards(
    district: District,
    cards: dict[str, dict[str, Any]],
    console: Console | None = None,
    *,
    with_warnings: bool = True,
) -> None:
    """Print one column per plan so today's plan and a new one can be compared at a glance.

    with_warnings: the district's warnings below the table (False where they were shown already).
    """
    console = console or Console()
    console.print(scorecard_table(district, cards))
    for warning in district.warnings if with_warnings else ():
        console.print(f"[yellow]warning:[/yellow] {markup_safe(warning)}")


def scorecard_table(
    district: District, cards: dict[str, dict[str, Any]], deltas: dict[str, float | None] | None = None
) -> Table:
    """One row per metric, one column per plan, and a `change` column when deltas are given."""
    table = Table(
        title=f"{markup_safe(district.name)}: {len(district.schools)} schools", title_justify="left"
    )
    table.add_column("metric")
    for name in cards:
        table.add_column(markup_safe(name), justify="right")
    if deltas is not None:
        table.add_column("change", justify="right")
    for key, label, fmt in ROWS:
        if all(card.get(key) is None for card in cards.values()):
            continue
        values = [cell(card.get(key), fmt) for card in cards.values()]
        if deltas is not None:
            change = deltas.get(key)
            values.append("" if change is None else signed(change, fmt))
        table.add_row(label, *values)
    return table


def cell(value: Any, fmt: str) -> str:
    """Format one scorecard value; missing values show as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return fmt.format(value)


def print_comparison(
    district: District,
    cards: dict[str, dict[str, Any]],
    deltas: dict[str, float | None],
    console: Console | None = None,
) -> None:
    """Two scorecards side by side and B minus A, so a planner sees what a change costs and buys."""
    (console or Console()).print(scorecard_table(district, cards, deltas))


def signed(change: float, fmt: str) -> str:
    """A change with its sign ('+2', '-0.0161'); counts stay whole numbers."""
    text = f"{round(change):d}" if fmt == "{}" else fmt.format(change)
    return text if change <= 0 or text.startswith("+") else f"+{text}"


def print_problems(cards: dict[str, dict[str, Any]], console: Console | None = None) -> None:
    """Under the scorecards: each plan's broken constraints and missed goals, naming the portfolios."""
    console = console or Console()
    for name, card in cards.items():
        broken, missed = card.get("violations", []), card.get("unmet_goals", [])
        if not broken and not missed:
            console.print(f"[green]{markup_safe(name)}[/green]: meets every constraint and goal")
            continue
        for line in broken:
            console.print(f"[red]{markup_safe(name)}, constraint broken[/red] — {markup_safe(line)}")
        for line in missed:
            console.print(f"[yellow]{markup_safe(name)}, goal missed[/yellow] — {markup_safe(line)}")
