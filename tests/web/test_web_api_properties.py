"""Property-based API testing over the OpenAPI schema (schemathesis): generated requests to every
operation — valid and invalid bodies, parameters and paths — never get a 500, on both databases.

Bounded: a few examples per operation, so the test runs in seconds."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 8


def test_no_500_on_any_input(web, bearer):
    headers = bearer("owner", "finance", "supervisor")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 11
    failures: list[str] = []
    for op in operations:
        _explore(op, headers, failures)
    assert not failures, "\n".join(failures[:20])


def _explore(op, headers, failures):  # type: ignore[no-untyped-def]
    strategy = op.as_strategy()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(strategy)
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(f"{op.method.upper()} {op.path}: {response.status_code} for {case.path_parameters} "
                            f"{case.query} {str(case.body)[:200]}")

    check()
