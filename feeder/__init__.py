"""feeder: feeder-pattern portfolios for school districts."""

from feeder.design import design
from feeder.district import District, load_district
from feeder.errors import FeederError

__all__ = ["District", "FeederError", "design", "load_district"]
