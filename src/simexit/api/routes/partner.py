"""Partner routes: the SM-DP+ ES2+ callback handleDownloadProgressInfo. The SM-DP+ is known by its verified
TLS client certificate (mapped to a partner with the smdp scope) or by a partner key."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from simexit.api import auth
from simexit.api.auth import Credentials
from simexit.api.models import DownloadProgressInfo
from simexit.api.problems import COMMON
from simexit.api.routes.common import wiring
from simexit.domain.errors import InvalidInput
from simexit.services.execution import esim_notifications

router = APIRouter(tags=["partners"], responses=COMMON)
ADMIN_PROTOCOL = "gsma/rsp/v2.5.0"


@router.post("/gsma/rsp2/es2plus/handleDownloadProgressInfo", status_code=204, response_class=Response,
             summary="ES2+ (SGP.22) download progress from the SM-DP+; records it and updates the profile state")
async def handle_download_progress_info(request: Request, body: DownloadProgressInfo,
                                        creds: Credentials = Depends(auth.partner_credentials)):
    app, run = wiring(request)
    point = body.notificationPointId
    if isinstance(point, str):
        if not point.strip().isdigit():
            raise InvalidInput("NOTIFICATION_POINT_INVALID", "notificationPointId is an integer")
        point = int(point)

    settings = request.app.state.api_settings

    def work():
        partner = auth.partner(app, creds, "smdp", settings.partner_certificates)
        points = settings.smdp_notification_points
        esim_notifications.record_download_progress(
            app, partner, requester=body.header.functionRequesterIdentifier,
            call_id=body.header.functionCallIdentifier, iccid=body.iccid, point_id=point,
            status=body.notificationPointStatus.status, event_at=body.timestamp,
            payload=body.model_dump(mode="json", exclude={"resultData"}), eid=body.eid,
            profile_type=body.profileType, result_data=body.resultData,
            points=points.get(partner.name, points.get("*")))

    await run(work)
    return Response(status_code=204, headers={"X-Admin-Protocol": ADMIN_PROTOCOL})
