"""What a planner reads: scorecards in the terminal (terminal.py), the printed cohort report
(cohorts.py with map_images.py, diagrams.py and pdf.py) and the trade-off chart (tradeoff_chart.py)."""
