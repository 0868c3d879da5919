"""The local web app: the plan's map page plus "re-design around my locks".

Routes (all errors are JSON, {"error": one line}):

- GET  /              the overview map page of the starting plan (edit mode included)
- GET  /api/plan      the starting plan, its scorecard and what a re-design keeps (`keeps`)
- POST /api/design    re-design with the server's spec plus the request's locks → {"plan", "scorecard",
                      "time_limit_hit", "lock_cost"} (400 bad option or a spec field other than the
                      server's, 409 busy or cancelled, 422 impossible settings)
- GET  /api/design    {"running", "seconds"} of the re-design under way
- DELETE /api/design  cancel it

Any other path is a 404 and any other method a 405 whose Allow header lists the path's methods.

The spec (sizes, caps, regions, contiguity, weights, locks) is the server's, fixed when it starts:
the page can add locks, never loosen a constraint.

Nothing is written anywhere: the district folder is only read.

Only this machine's own pages may use the app: a request naming another host (a DNS-rebinding
site) is refused, and a request that changes something must send JSON from the app's own origin,
so that no web page the planner visits can start or cancel a re-design. Hence no CORS: the app's
only client is the page it serves, whose requests are same-origin and never preflighted, so an
OPTIONS request can only be another site's preflight; its 405 (no Access-Control-* headers) makes
the browser refuse to send the request at all.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from feeder.errors import FeederError
from feeder.plan import Plan, rounded
from feeder.serve.requests import parse_design_request
from feeder.serve.runner import Busy, Cancelled, DesignRunner, Refused
from feeder.serve.spec import keeps

LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_BODY_BYTES = 2**20  # locks for every school of a 20,000-school district fit in a fraction of this


def error(status: int, reason: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(reason.split())}, status_code=status, headers=headers)


async def refusal(request: Request, problem: Exception) -> JSONResponse:
    """Starlette's own refusals (no such path, a method the path does not take) and a bug's 500 in
    the app's JSON, so that the page reads every error the same way."""
    path = request.url.path
    if not isinstance(problem, HTTPException):
        return error(
            500, f"internal error (a bug in feeder): {type(problem).__name__}: {problem}; please report it"
        )
    headers = dict(problem.headers or {})
    if problem.status_code == 404:
        return error(404, f"no {path} here: the app serves / (the map), /api/plan and /api/design")
    if problem.status_code == 405:
        return error(405, f"{path} does not take {request.method} (only {headers['Allow']})", headers=headers)
    return error(problem.status_code, problem.detail, headers=headers)


def foreign(request: Request) -> JSONResponse | None:
    """The refusal of a request sent by another site's page (it names its origin), else None."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        return error(403, f"requests from {origin} are refused; use the page this app serves")
    return None


async def json_body(request: Request) -> Any:
    """The request's JSON, or the error response saying what to send instead."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return error(415, "send the design options as JSON (content-type: application/json)")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return error(413, f"the request is over {MAX_BODY_BYTES:,} bytes; send only the design options")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than Python parses
        return error(400, "the request body is not JSON; send design options as a JSON object")


def create_app(
    plan: Plan, *, page: str, time_limit: float | None = None, lock_cost: bool = True
) -> Starlette:
    """The app serving `plan` (its district is re-read by each re-design's worker) and its page;
    every re-design keeps `plan.spec`, takes at most `time_limit` seconds (None: no cap) and, with
    `lock_cost`, says what its locks cost (as `feeder design --lock` does)."""
    district = plan.district
    runner = DesignRunner(district.path, time_limit=time_limit, lock_cost=lock_cost)
    starting = {
        "plan": dict(zip(district.ids, plan.labels.tolist(), strict=True)),
        "scorecard": rounded(plan.score()),
        "keeps": keeps(plan.spec, regions=district.has_regions),
    }

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def current(request: Request) -> JSONResponse:
        return JSONResponse(starting)

    class Design(HTTPEndpoint):
        """/api/design: GET how the re-design goes, POST starts one, DELETE cancels it."""

        async def get(self, request: Request) -> JSONResponse:
            return JSONResponse(runner.status())

        async def post(self, request: Request) -> JSONResponse:
            body = foreign(request) or await json_body(request)
            if isinstance(body, JSONResponse):
                return body
            try:
                parsed = parse_design_request(body, district, spec=plan.spec)
            except FeederError as problem:
                return error(400, str(problem))
            try:
                return JSONResponse(await run_in_threadpool(runner.run, parsed))
            except Busy:
                return error(
                    409, "a re-design is already running; wait for it or cancel it (DELETE /api/design)"
                )
            except Cancelled:
                return error(409, "the re-design was cancelled")
            except Refused as refused:
                return error(422, refused.reason)
            except RuntimeError as bug:
                return error(500, f"internal error (a bug in feeder): {bug}; please report it")

        async def delete(self, request: Request) -> JSONResponse:
            return foreign(request) or JSONResponse({"cancelled": runner.cancel()})

    routes = [Route("/", index), Route("/api/plan", current), Route("/api/design", Design)]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_HOSTS))],
        exception_handlers={HTTPException: refusal, Exception: refusal},
    )
    app.state.runner = runner  # the command cancels a running re-design when the server is stopped
    return app
