"""Schemathesis against the published OpenAPI schema: every operation, generated inputs."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from _webtest import Person
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance


@pytest.mark.parametrize(("role", "examples"), [("admin", 25), (None, 5)])
def test_every_operation_keeps_its_schema(
    app: FastAPI, people: dict[str, Person], role: str | None, examples: int
) -> None:
    """Generated requests (as an admin, and anonymously): no 5xx, only documented status
    codes and content types, bodies that match their schema, bad input rejected."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = people[role].headers if role else {}
    seen = []
    for found in schema.get_all_operations():
        operation = found.ok()
        seen.append(operation.label)

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            # A cursor is opaque: a made-up one is rejected with 400, as it should be,
            # which the positive-data check counts as a failure.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            assert "Traceback" not in response.text

        check()
    assert len(seen) > 15, seen
