"""The app's pages and downloads (Starlette; HTML rendered here, htmx for the parts of
a page that change: the mapping form, the progress bar).

Every response is private: ``Cache-Control: no-store``, no referrer, and a content
security policy that lets the page reach this app only (``default-src 'self'``), so
nothing the page holds can be sent anywhere else. Requests whose ``Host`` is not this
machine are refused while the app listens on the loopback address (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .blocks import FIGURE_FORMATS, TABLE_FORMATS, figure_bytes, table_bytes
from .pages import (
    design_page,
    home_page,
    map_form,
    map_page,
    post_design,
    post_map,
    post_plan,
    progress_fragment,
    results_page,
    upload,
)
from .sessions import COOKIE, SessionStore

__all__ = ["LOCAL_HOSTS", "create_app"]

#: The ``Host`` names accepted while the app listens on the loopback address.
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
#: Largest upload accepted (bytes).
MAX_UPLOAD = 512 * 1024 * 1024
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
STATIC = Path(__file__).parent / "static"
#: How often idle sessions are looked for (seconds).
SWEEP_SECONDS = 60.0


class Private:
    """ASGI middleware: the headers of the module docstring on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", CSP.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def session_of(request: Request, *, create: bool = False):
    store: SessionStore = request.app.state.sessions
    session = store.get(request.cookies.get(COOKIE))
    if session is None and create:
        session = store.new()
    return session


def with_cookie(response: Response, session) -> Response:
    response.set_cookie(
        COOKIE, session.token, httponly=True, samesite="strict", path="/", max_age=None
    )
    return response


def needs_session(handler):
    """A page that needs a session: without one, back to the first page."""

    async def wrapped(request: Request):
        session = session_of(request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        return await handler(request, session)

    return wrapped


async def home(request: Request):
    session = session_of(request, create=True)
    return with_cookie(HTMLResponse(home_page(session)), session)


async def post_upload(request: Request):
    session = session_of(request, create=True)
    form = await request.form(max_files=2, max_fields=50, max_part_size=MAX_UPLOAD)
    try:
        problems = await upload(session, form, MAX_UPLOAD)
    finally:
        await form.close()
    if problems:
        return with_cookie(HTMLResponse(home_page(session, problems), status_code=422), session)
    return with_cookie(RedirectResponse("/map", status_code=303), session)


def _form_dict(form) -> dict:
    out: dict = {}
    for key in form:
        values = form.getlist(key)
        out[key] = values if key in ("covariates", "table_one", "subgroups") else values[-1]
    return out


@needs_session
async def get_map(request: Request, session):
    return HTMLResponse(await run_in_threadpool(map_page, session, None, None))


@needs_session
async def post_map_form(request: Request, session):
    form = _form_dict(await request.form())
    return HTMLResponse(await run_in_threadpool(map_form, session, form))


@needs_session
async def post_map_load(request: Request, session):
    form = _form_dict(await request.form())
    html, ok = await run_in_threadpool(post_map, session, form)
    if ok:
        return RedirectResponse("/results/summary", status_code=303)
    return HTMLResponse(html, status_code=422)


@needs_session
async def get_results(request: Request, session):
    tab = request.path_params["tab"]
    if session.cohort is None and session.studies is None:
        return RedirectResponse("/map" if session.uploads else "/", status_code=303)
    if tab == "design":
        return HTMLResponse(await run_in_threadpool(design_page, session, None))
    html = await run_in_threadpool(results_page, session, tab, None)
    return (
        HTMLResponse(html, status_code=404 if html is None else 200)
        if html
        else Response("no such tab", status_code=404)
    )


@needs_session
async def post_plan_form(request: Request, session):
    form = _form_dict(await request.form())
    html, ok = await run_in_threadpool(post_plan, session, form)
    if ok:
        return RedirectResponse("/results/report", status_code=303)
    return HTMLResponse(html, status_code=422)


@needs_session
async def post_design_form(request: Request, session):
    form = _form_dict(await request.form())
    return HTMLResponse(await run_in_threadpool(post_design, session, form))


@needs_session
async def get_progress(request: Request, session):
    html, finished = progress_fragment(session)
    response = HTMLResponse(html)
    if finished:
        response.headers["HX-Refresh"] = "true"
    return response


def _download(data: bytes, media: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@needs_session
async def get_figure(request: Request, session):
    from .state import find_block

    name, fmt = request.path_params["name"], request.path_params["fmt"]
    block = find_block(session, name)
    if block is None or block.figure is None or fmt not in FIGURE_FORMATS:
        return Response("no such figure", status_code=404)
    data = await run_in_threadpool(figure_bytes, block, fmt)
    if request.query_params.get("download"):
        return _download(data, FIGURE_FORMATS[fmt], f"{name}.{fmt}")
    return Response(data, media_type=FIGURE_FORMATS[fmt])


@needs_session
async def get_table(request: Request, session):
    from .state import find_block

    name, fmt = request.path_params["name"], request.path_params["fmt"]
    block = find_block(session, name)
    if block is None or block.table is None or fmt not in TABLE_FORMATS:
        return Response("no such table", status_code=404)
    data = await run_in_threadpool(table_bytes, block, fmt)
    return _download(data, TABLE_FORMATS[fmt], f"{name}.{fmt}")


@needs_session
async def get_download(request: Request, session):
    from .outputs import REPORT_FORMATS, dictionary_toml, report_bytes
    from .pages import report_error_page

    what = request.path_params["what"]
    if what == "plan.toml":
        from .state import resolved_plan

        plan = await run_in_threadpool(resolved_plan, session)
        return _download(plan.to_toml().encode(), "application/toml", "plan.toml")
    for role in ("cohort", "studies"):
        if what == f"{role}-dictionary.toml":
            text = dictionary_toml(session.reading.get(role, {}))
            return _download(text.encode(), "application/toml", what)
    stem, _, fmt = what.partition(".")
    if stem != "report" or fmt not in REPORT_FORMATS:
        return Response("no such download", status_code=404)
    try:
        data = await run_in_threadpool(report_bytes, session, fmt)
    except ValueError as exc:  # DataError too: shown, one problem a line
        return HTMLResponse(report_error_page(session, exc), status_code=422)
    return _download(data, REPORT_FORMATS[fmt][0], f"report.{fmt}")


async def post_end(request: Request):
    session = session_of(request)
    if session is not None:
        request.app.state.sessions.end(session)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def create_app(*, local: bool = True, idle_minutes: float | None = None) -> Starlette:
    """The app. ``local``: accept requests for this machine's names only (the app
    listens on the loopback address)."""
    store = SessionStore() if idle_minutes is None else SessionStore(idle_minutes=idle_minutes)
    middleware = [Middleware(Private)]
    if local:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=LOCAL_HOSTS))
    routes = [
        Route("/", home),
        Route("/upload", post_upload, methods=["POST"]),
        Route("/map", get_map),
        Route("/map", post_map_load, methods=["POST"]),
        Route("/map/form", post_map_form, methods=["POST"]),
        Route("/results/{tab}", get_results),
        Route("/plan", post_plan_form, methods=["POST"]),
        Route("/design", post_design_form, methods=["POST"]),
        Route("/design/progress", get_progress),
        Route("/figure/{name}.{fmt}", get_figure),
        Route("/table/{name}.{fmt}", get_table),
        Route("/download/{what}", get_download),
        Route("/end", post_end, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    def shutdown():
        store.close()

    async def sweeping():
        while True:  # idle sessions end on time, not at the next request
            await asyncio.sleep(SWEEP_SECONDS)
            await run_in_threadpool(store.sweep)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(sweeping())
        try:
            yield
        finally:
            task.cancel()
            shutdown()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.sessions = store
    return app
