"""The web app's server: uvicorn's, except that Ctrl-C also cancels a running re-design
(uvicorn waits for open requests before it stops, and a re-design may take a minute)."""

from __future__ import annotations

from types import FrameType

import uvicorn

from feeder.serve.runner import DesignRunner


class StoppingServer(uvicorn.Server):
    """uvicorn's server that cancels the re-design running when it is asked to stop."""

    def __init__(self, config: uvicorn.Config, runner: DesignRunner) -> None:
        super().__init__(config)
        self.runner = runner

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.runner.cancel()
        super().handle_exit(sig, frame)
