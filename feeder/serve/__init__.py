"""`feeder serve`: the map editor as a local web app that can re-design around the planner's locks."""

from feeder.serve.app import create_app

__all__ = ["create_app"]
