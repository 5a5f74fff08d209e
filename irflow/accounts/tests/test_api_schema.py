"""The published OpenAPI schema says what the API does (the fuzz test in tests/e2e holds the
running service to it): one definition per schema name, every error answer documented."""

from __future__ import annotations

import json

import pytest
from ninja.openapi.schema import OpenAPISchema

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.api import api
from irflow.lib.apischema import error_statuses


def test_no_two_schemas_share_a_name():
    # Ninja keeps the last definition of a name: two apps' `EventOut` made the referral
    # history publish the dose events' fields.
    clashes: dict[str, int] = {}

    class Checked(OpenAPISchema):
        def add_schema_definitions(self, definitions: dict) -> None:
            for name, definition in definitions.items():
                if name in self.schemas and self.schemas[name] != definition:
                    clashes[name] = clashes.get(name, 1) + 1
            super().add_schema_definitions(definitions)

    Checked(api, "/api/")
    assert not clashes, f"rename one of each: {clashes}"


def test_every_operation_documents_its_error_answers():
    schema = api.get_openapi_schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            statuses = {int(s) for s in operation["responses"]}
            assert 401 in statuses, (method, path)
            assert error_statuses(method, operation) <= statuses, (method, path)
            if "{" in path:
                assert 404 in statuses, (method, path)
            for status in statuses - {200, 201, 204, 304}:  # 304 has no body
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_times_of_day_are_not_published_as_rfc3339_times():
    # JSON Schema's `time` format requires a UTC offset; irflow's times of day have none.
    text = json.dumps(api.get_openapi_schema())
    assert '"format": "time"' not in text


@pytest.mark.django_db
def test_ninjas_own_errors_have_the_irflow_shape(client, attending):
    token = api_token_create(actor=SYSTEM, user_id=attending.pk, name="t")[1]
    response = client.post(
        "/api/patients",
        data="{not json",
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body", "code": "bad_request"}
