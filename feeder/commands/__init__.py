"""One module per `feeder` subcommand; each exposes register(app)."""
