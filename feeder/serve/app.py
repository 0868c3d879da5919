"""The local web app: the plan's map page plus "re-design around my locks".

Routes (all JSON errors are {"error": one line}):

- GET  /              the overview map page of the starting plan (edit mode included)
- GET  /api/plan      the starting plan and its scorecard
- POST /api/design    re-design with the request's options and locks → {"plan", "scorecard"}
                      (400 bad option, 409 busy or cancelled, 422 impossible settings)
- GET  /api/design    {"running", "seconds"} of the re-design under way
- DELETE /api/design  cancel it

Nothing is written anywhere: the district folder is only read.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from feeder.errors import FeederError
from feeder.plan import Plan, rounded
from feeder.serve.requests import parse_design_request
from feeder.serve.runner import Busy, Cancelled, DesignRunner, Refused


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(reason.split())}, status_code=status)


def create_app(plan: Plan, *, page: str) -> Starlette:
    """The app serving `plan` (its district is re-read by each re-design's worker) and its page."""
    district = plan.district
    runner = DesignRunner(district.path)
    starting = {
        "plan": dict(zip(district.ids, plan.labels.tolist(), strict=True)),
        "scorecard": rounded(plan.score()),
    }

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def current(request: Request) -> JSONResponse:
        return JSONResponse(starting)

    async def redesign(request: Request) -> JSONResponse:
        try:
            body: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "the request body is not JSON; send design options as a JSON object")
        try:
            parsed = parse_design_request(body, district)
        except FeederError as problem:
            return error(400, str(problem))
        try:
            return JSONResponse(await run_in_threadpool(runner.run, parsed))
        except Busy:
            return error(409, "a re-design is already running; wait for it or cancel it (DELETE /api/design)")
        except Cancelled:
            return error(409, "the re-design was cancelled")
        except Refused as refusal:
            return error(422, refusal.reason)
        except RuntimeError as bug:
            return error(500, f"internal error (a bug in feeder): {bug}; please report it")

    async def progress(request: Request) -> JSONResponse:
        return JSONResponse(runner.status())

    async def cancel(request: Request) -> JSONResponse:
        return JSONResponse({"cancelled": runner.cancel()})

    routes = [
        Route("/", index),
        Route("/api/plan", current),
        Route("/api/design", redesign, methods=["POST"]),
        Route("/api/design", progress, methods=["GET"]),
        Route("/api/design", cancel, methods=["DELETE"]),
    ]
    return Starlette(routes=routes)
