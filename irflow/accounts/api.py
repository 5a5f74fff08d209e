"""People over REST: who am I, and the staff list."""

from __future__ import annotations

from ninja import Router, Schema

from irflow.accounts import selectors
from irflow.accounts.permissions import MATRIX, can
from irflow.lib.apischema import perm

router = Router()
API_PREFIX = "/accounts"
API_TAGS = ["people"]


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    permissions: list[str]


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    privileges: list[str]


@router.get("/me", response=MeOut, openapi_extra=perm("authenticated"))
def me(request):
    user = request.auth
    return {
        "username": user.username,
        "display_name": str(user),
        "role": user.role,
        "permissions": sorted(a for a in MATRIX if can(user, a)),
    }


@router.get("/staff", response=list[StaffOut], openapi_extra=perm("staff.view"))
def staff_list(request, role: str = ""):
    return [
        {
            "id": u.pk,
            "username": u.username,
            "display_name": str(u),
            "role": u.role,
            "privileges": [p.category for p in u.privileges.all()],
        }
        for u in selectors.staff_list(actor=request.auth, role=role)
    ]
