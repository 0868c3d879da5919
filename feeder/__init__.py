"""feeder: feeder-pattern portfolios for school districts."""

from feeder.district import District, load_district
from feeder.errors import FeederError

__all__ = ["District", "FeederError", "load_district"]
