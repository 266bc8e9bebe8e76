"""The sign-in page and sign-out: plain HTML forms (they work before any script runs), answered
with the session cookie or with central's reason for refusing, in words."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web_admin.auth import COOKIE, Gate, SignInRefused

ZONE_SCRIPT = (
    "<script>document.cookie='locanext_tz='+encodeURIComponent("
    "Intl.DateTimeFormat().resolvedOptions().timeZone)+';path=/;SameSite=Lax';</script>"
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · LocaNext admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 :root {{ color-scheme: light dark; --bg:#f5f6f8; --card:#fff; --fg:#1d2330; --muted:#5b6475;
   --accent:#3056d3; --bad:#b3261e; }}
 @media (prefers-color-scheme: dark) {{ :root {{ --bg:#14171d; --card:#1e232c; --fg:#e6e9ef;
   --muted:#a2aabb; --accent:#7d9bff; --bad:#ff8a80; }} }}
 body {{ margin:0; min-height:100vh; display:grid; place-items:center; background:var(--bg);
   color:var(--fg); font:15px/1.4 system-ui, "Noto Sans", "Noto Sans CJK KR", sans-serif; }}
 form {{ background:var(--card); padding:2rem; border-radius:12px; width:min(22rem, 90vw);
   box-shadow:0 2px 12px rgba(0,0,0,.12); display:grid; gap:.8rem; }}
 h1 {{ margin:0 0 .3rem; font-size:1.3rem; }} p {{ margin:0; color:var(--muted); }}
 label {{ display:grid; gap:.25rem; font-weight:600; }}
 input {{ font:inherit; padding:.55rem .6rem; border:1px solid var(--muted); border-radius:6px;
   background:transparent; color:inherit; }}
 button {{ font:inherit; font-weight:600; padding:.6rem; border:0; border-radius:6px;
   background:var(--accent); color:#fff; cursor:pointer; }}
 .error {{ color:var(--bad); font-weight:600; }}
</style>{zone}</head>
<body><form method="post" action="/signin">
 <h1>LocaNext admin</h1><p>Sign in with your administrator or lead account.</p>
 {error}
 <label>User name<input name="username" autocomplete="username" required value="{username}"
   data-testid="signin-username" autofocus></label>
 <label>Password<input name="password" type="password" autocomplete="current-password" required
   data-testid="signin-password"></label>
 <input type="hidden" name="next" value="{next}">
 <button type="submit" data-testid="signin-submit">Sign in</button>
</form></body></html>"""

_WORDS = {
    "wrong_credentials": "Wrong user name or password.",
    "not_staff": "This account is not an administrator or a lead: translators use the desktop "
    "app, not the console.",
    "account_disabled": "This account is disabled; ask an administrator.",
}


def _safe_next(target: str) -> str:
    """Only a path of this site (no scheme, no ``//host``) may follow a sign-in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def sign_in_page(next_url: str = "/", username: str = "", error: str = "") -> str:
    shown = f'<p class="error" role="alert" data-testid="signin-error">{escape(error)}</p>'
    return _PAGE.format(
        zone=ZONE_SCRIPT,
        error=shown if error else "",
        username=escape(username),
        next=escape(_safe_next(next_url)),
    )


def router(gate: Gate) -> APIRouter:
    routes = APIRouter()

    @routes.get("/signin", include_in_schema=False)
    def signin_form(next: str = "/") -> HTMLResponse:
        return HTMLResponse(sign_in_page(next))

    @routes.post("/signin", include_in_schema=False)
    async def signin(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        next: Annotated[str, Form(max_length=2048)] = "/",
    ) -> Response:
        try:
            token = await gate.sign_in(username, password)
        except SignInRefused as refused:
            words = _WORDS.get(refused.code, refused.detail)
            return HTMLResponse(sign_in_page(next, username, words), status_code=refused.status)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE,
            gate.cookie_value(token),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @routes.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        token = gate.token_of(request)
        if token is not None:
            await gate.sign_out(token)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return routes
