"""feeder: feeder-pattern portfolios for school districts."""

try:
    from feeder.design import design
    from feeder.district import District, load_district
    from feeder.errors import FeederError
except KeyboardInterrupt:  # Ctrl-C while the libraries load: one line and exit 130, as anywhere else
    import sys

    print("interrupted: nothing was written", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["District", "FeederError", "design", "load_district"]
