"""The FHIR endpoint's views: authentication as the REST API's (a session, or an API token as
`Authorization: Bearer`), the answer as `application/fhir+json`, every error an
OperationOutcome with its 4xx. What may be read is the selectors' business."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from irflow.accounts.selectors import second_factor_satisfied
from irflow.accounts.services import api_token_authenticate
from irflow.fhirserver import export as bulk
from irflow.fhirserver.capability import capability_statement
from irflow.fhirserver.gather import fhir_site
from irflow.fhirserver.selectors import fhir_read, fhir_search, parse_search
from irflow.fhirserver.services import fhir_referral_create
from irflow.fhirserver.tasks import bulk_export_start
from irflow.lib.errors import Forbidden, ServiceError, ValidationFailed

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
MSG_METHOD = "{method} is not supported here: irflow reads and searches (GET), and creates a "
MSG_METHOD += "ServiceRequest (POST /fhir/ServiceRequest)."
MSG_BODY = "The body must be a FHIR resource as JSON."
MSG_NO_ROUTE = "No such FHIR interaction: irflow serves metadata, read and search."
MSG_CSRF = "A signed-in session that writes sends its CSRF token (X-CSRFToken)."
MSG_PREFER = "A bulk export runs asynchronously: send the header 'Prefer: respond-async'."
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


def reads_only(view, writes: frozenset[str] = frozenset()):
    """GET and HEAD (and the methods in `writes`); any other method is a 405 OperationOutcome.
    CSRF is checked where a session writes (`_actor`), not before the 405."""

    @csrf_exempt
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in READS | writes:
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


def operation_outcome(
    status: int, message: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    """One issue, or one per element that has a problem (`expression` names it)."""
    code = ISSUE_CODE.get(status, "processing")
    if errors:
        issues = [
            {"severity": "error", "code": code, "diagnostics": " ".join(msgs), "expression": [f]}
            for f, msgs in errors.items()
        ]
    else:
        issues = [{"severity": "error", "code": code, "diagnostics": message}]
    return _answer({"resourceType": "OperationOutcome", "issue": issues}, status)


def _error(exc: ServiceError, *, writing: bool = False) -> HttpResponse:
    if isinstance(exc, ValidationFailed):
        # A search the server cannot carry out is a 400 (FHIR's http page); a resource sent
        # that breaks irflow's rules a 422, one that is not valid R4 a 400.
        status = exc.status_code if writing else 400
        return operation_outcome(status, exc.message, exc.errors)
    return operation_outcome(exc.status_code, exc.message)


def _actor(request: HttpRequest, *, write: bool = False):
    """The user behind the request's API token or session; None when there is neither. A
    session that writes needs its CSRF token, as on the REST API."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = api_token_authenticate(header.removeprefix("Bearer "), write=write)
        if user is not None:
            request.user = user
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and second_factor_satisfied(user):
        if write and CsrfViewMiddleware(_no_view).process_view(request, _no_view, (), {}):
            raise Forbidden(MSG_CSRF, code="csrf")
        return user
    return None


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


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


def _create(request: HttpRequest, resource_type: str) -> HttpResponse:
    if resource_type != "ServiceRequest":
        response = operation_outcome(405, MSG_METHOD.format(method=request.method))
        response["Allow"] = "GET, HEAD"
        return response
    try:
        actor = _actor(request, write=True)
        if actor is None:
            return _unauthenticated()
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return operation_outcome(400, MSG_BODY)
        created = fhir_referral_create(actor=actor, body=body)
    except ServiceError as exc:
        return _error(exc, writing=True)
    response = _answer(created, 201)
    response["Location"] = f"{_base(request)}/ServiceRequest/{created['id']}"
    return response


def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, resource_type)
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


search = reads_only(search, writes=frozenset({"POST"}))


@reads_only
def no_route(request: HttpRequest, rest: str) -> HttpResponse:
    return operation_outcome(404, MSG_NO_ROUTE)


# Bulk Data export ---------------------------------------------------------------------------


def _kickoff(request: HttpRequest, level: str) -> HttpResponse:
    try:
        actor = _actor(request)
        if actor is None:
            return _unauthenticated()
        if "respond-async" not in request.headers.get("Prefer", ""):
            return operation_outcome(400, MSG_PREFER)
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
        started = bulk_export_start(
            actor=actor, level=level, params=params, request_url=request.build_absolute_uri()
        )
    except ServiceError as exc:
        return _error(exc)
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{_base(request)}/$export-status/{started.pk}"
    return response


@reads_only
def export_system(request: HttpRequest) -> HttpResponse:
    """`GET /fhir/$export`: the whole department."""
    return _kickoff(request, "system")


@reads_only
def export_patient(request: HttpRequest) -> HttpResponse:
    """`GET /fhir/Patient/$export`: every patient's compartment."""
    return _kickoff(request, "patient")


def export_status(request: HttpRequest, export_id: str) -> HttpResponse:
    """Poll (202 with X-Progress, then 200 with the manifest), or DELETE to cancel."""
    try:
        actor = _actor(request, write=request.method == "DELETE")
        if actor is None:
            return _unauthenticated()
        if request.method == "DELETE":
            bulk.bulk_export_delete(actor=actor, export_id=export_id)
            return HttpResponse(status=202)
        export = bulk.bulk_export_get(actor=actor, export_id=export_id)
    except ServiceError as exc:
        return _error(exc)
    if export.status == export.Status.FAILED:
        return operation_outcome(500, f"The export failed: {export.error}")
    if export.status != export.Status.DONE:
        response = HttpResponse(status=202)
        response["X-Progress"] = export.progress or export.get_status_display()
        response["Retry-After"] = "2"
        return response
    folder = f"{_base(request)}/$export-file/{export.pk}"
    body = bulk.manifest(export, lambda name: f"{folder}/{name}")
    response = HttpResponse(json.dumps(body), content_type="application/json")
    if export.expires_at is not None:
        response["Expires"] = http_date(export.expires_at.timestamp())
    return response


export_status = reads_only(export_status, writes=frozenset({"DELETE"}))


@reads_only
def export_file(request: HttpRequest, export_id: str, name: str) -> HttpResponseBase:
    """One ndjson file of a finished export, to its requester only."""
    try:
        actor = _actor(request)
        if actor is None:
            return _unauthenticated()
        path = bulk.bulk_export_file(actor=actor, export_id=export_id, name=name)
    except ServiceError as exc:
        return _error(exc)
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
