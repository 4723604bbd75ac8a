"""Schemathesis fuzzes every operation of the OpenAPI schema against the running service:
no 5xx, and every response conforms to the schema (status codes, content types, bodies).

Driven through Hypothesis directly: schemathesis' pytest fixture loader does not work with pytest 9.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.server import LiveServer

MAX_EXAMPLES = 20  # per operation, to keep the whole API within about half a minute
# No 5xx, and answers as documented. Not "schema-valid data is accepted": random bytes in a
# schema-valid `file` field are rarely a decodable image, and the 400 they get is the right answer.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_never_fails_and_conforms_to_its_schema(live_server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every operation must be a well-formed schema
        operations.append(result.ok())
    assert len(operations) >= 20  # native, v1, v2, health, metrics

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
