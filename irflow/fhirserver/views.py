"""The FHIR endpoint's views: authentication as the REST API's (a session, or an API token as
`Authorization: Bearer`), the answer as `application/fhir+json`, every error an
OperationOutcome with its 4xx. What may be read is the selectors' business."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from irflow.accounts.selectors import second_factor_satisfied
from irflow.accounts.services import api_token_authenticate
from irflow.fhirserver.capability import capability_statement
from irflow.fhirserver.gather import fhir_site
from irflow.fhirserver.selectors import fhir_read, fhir_search, parse_search
from irflow.lib.errors import ServiceError, ValidationFailed

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
MSG_METHOD = "irflow's FHIR endpoint reads and searches only (GET); {method} is not supported."
MSG_NO_ROUTE = "No such FHIR interaction: irflow serves metadata, read and search."
MSG_NOT_AUTHENTICATED = "Sign in, or send an API token as 'Authorization: Bearer <token>'."
# irflow's error codes -> http://hl7.org/fhir/R4/valueset-issue-type.html
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    422: "invalid",
}
READS = frozenset({"GET", "HEAD"})


def reads_only(view):
    """GET and HEAD; any other method is a 405 OperationOutcome (the endpoint writes nothing, so
    no CSRF token is needed to be told so)."""

    @csrf_exempt
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in READS:
            response = operation_outcome(405, MSG_METHOD.format(method=request.method))
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    checked.__name__ = view.__name__
    checked.__doc__ = view.__doc__
    return checked


def _answer(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )


def operation_outcome(status: int, message: str, fields: list[str] | None = None) -> HttpResponse:
    issue: dict = {
        "severity": "error",
        "code": ISSUE_CODE.get(status, "processing"),
        "diagnostics": message,
    }
    if fields:
        issue["expression"] = fields
    return _answer({"resourceType": "OperationOutcome", "issue": [issue]}, status)


def _error(exc: ServiceError) -> HttpResponse:
    if isinstance(exc, ValidationFailed):
        # A search the server cannot carry out is a 400 (FHIR's http page), not a 422.
        return operation_outcome(400, exc.message, list(exc.errors))
    return operation_outcome(exc.status_code, exc.message)


def _actor(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = api_token_authenticate(header.removeprefix("Bearer "), write=False)
        if user is not None:
            request.user = user
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and second_factor_satisfied(user):
        return user
    return None


def _unauthenticated() -> HttpResponse:
    response = operation_outcome(401, MSG_NOT_AUTHENTICATED)
    response["WWW-Authenticate"] = 'Bearer realm="irflow"'
    return response


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir")


@reads_only
def metadata(request: HttpRequest) -> HttpResponse:
    return _answer(capability_statement(_base(request)))


@reads_only
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    try:
        actor = _actor(request)
        if actor is None:
            return _unauthenticated()
        resource = fhir_read(actor=actor, resource_type=resource_type, resource_id=resource_id)
    except ServiceError as exc:
        return _error(exc)
    return _answer(resource)


@reads_only
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    try:
        actor = _actor(request)
        if actor is None:
            return _unauthenticated()
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
        parsed = parse_search(resource_type, params)
        site = fhir_site()
        result = fhir_search(actor=actor, resource_type=resource_type, search=parsed, site=site)
    except ServiceError as exc:
        return _error(exc)
    base = _base(request)
    kept = [(k, v) for k, v in params if k != "_offset"]
    here = f"{base}/{resource_type}"
    links = [{"relation": "self", "url": f"{here}?{urlencode(params)}" if params else here}]
    following = parsed.offset + len(result.matches)
    if result.matches and following < result.total:
        query = urlencode([*kept, ("_offset", str(following))])
        links.append({"relation": "next", "url": f"{here}?{query}"})
    if parsed.offset > 0:
        previous = max(0, parsed.offset - parsed.count)
        query = urlencode([*kept, ("_offset", str(previous))])
        links.append({"relation": "previous", "url": f"{here}?{query}"})
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in result.matches
    ] + [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "include"},
        }
        for r in result.included
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": result.total,
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return _answer(bundle)


@reads_only
def no_route(request: HttpRequest, rest: str) -> HttpResponse:
    return operation_outcome(404, MSG_NO_ROUTE)
