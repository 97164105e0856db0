"""The certificate of cancellation at the link of the confirmation message
(``services.execution.receipts.receipt_url``: ``/receipts/SX-…?t=<token>``): printable HTML for a completed
application with a valid token; a 404 problem otherwise (a wrong token and an unknown number look alike)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from simexit.api import auth
from simexit.api.auth import Credentials
from simexit.api.problems import problem, responses
from simexit.api.routes.common import ApplicationNo, wiring
from simexit.services.access.caller import Public
from simexit.services.access.link_limits import count_link_request
from simexit.services.execution import queries

router = APIRouter(tags=["receipts"], responses=responses(404, 422, 429))
# The print button's script is /static/print.js: no inline script or event handler runs on the certificate.
RECEIPT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _locale(request: Request, lang: str | None) -> str:
    if lang:
        return lang
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "zh-CN" if first.startswith("zh") else "de" if first.startswith("de") else "en"


@router.get("/receipts/{application_no}", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "description": "the printable certificate of cancellation"}},
            summary="Certificate of cancellation of a completed application (the link of the confirmation message)")
async def receipt(request: Request, application_no: str = ApplicationNo,
                  t: str = Query(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$",
                                 description="the receipt token of the link"),
                  lang: str | None = Query(None, pattern=r"^(en|zh-CN|de)$", description="default: Accept-Language"),
                  client: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)

    def work() -> str | None:
        caller = Public(client.client)
        count_link_request(app, caller, "receipt")  # 429 past 30 in 15 minutes per address
        return queries.receipt_html(app, caller, application_no, _locale(request, lang), token=t)

    html = await run(work)
    if html is None:
        return problem(404, "RECEIPT_NOT_FOUND", "no certificate of cancellation at this link (it exists once the "
                       "closure is completed)")
    return HTMLResponse(html, headers={"Content-Security-Policy": RECEIPT_CSP, "Cache-Control": "private, no-store"})
