"""The API's operations as its OpenAPI description lists them, so tests that must hold for every
endpoint cover a new one without being told."""

import re
from dataclasses import dataclass
from functools import cache

from incidentdesk.config.api import api

# A value for every {placeholder} of the API's paths (tests that walk every operation).
PATH_VALUES = {
    "reference": "INC-1999-0001",
    "entry_id": 1,
    "role": "lead",
    "person": "nobody",
    "action_id": 1,
    "component_id": 1,
    "key": "major",
    "token_id": 1,
    "public_id": "abc123",
    "integration_id": 1,
    "route_id": 1,
    "schedule_id": 1,
    "layer_id": 1,
    "override_id": 1,
    "report_id": 1,
    "group_id": 1,
    "policy_id": 1,
    "page_id": 1,
    "method_id": 1,
    "system_id": 1,
    "disaster_id": 1,
    "proposal_id": 1,
    "step_id": 1,
    "runbook_id": 1,
}

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as described, with {placeholders}, relative to /api/v1
    spec: dict

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def query_names(self) -> set[str]:
        return {p["name"] for p in self.spec.get("parameters", []) if p["in"] == "query"}

    def url(self, values: dict[str, str]) -> str:
        """The path with each {placeholder} filled from `values` (a KeyError names one a
        test does not know yet)."""
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), self.path)

    def body_schema(self) -> dict | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return resolve(schema) if schema else None


@cache
def schema() -> dict:
    """The description, made once per test run: the API's routes are fixed when it is imported,
    and making it takes a tenth of a second, which every $ref looked up would pay again."""
    return api.get_openapi_schema()


def operations() -> list[Operation]:
    prefix = "/api/v1"
    found = []
    for path, methods in schema()["paths"].items():
        for method, spec in methods.items():
            found.append(Operation(method, path.removeprefix(prefix), spec))
    return found


def write_operations() -> list[Operation]:
    return [op for op in operations() if op.method in WRITE_METHODS]


def paginated_operations() -> list[Operation]:
    return [op for op in operations() if op.method == "get" and "page" in op.query_names()]


def resolve(node: dict) -> dict:
    """A schema with its $ref (if any) looked up in the description's components."""
    ref = node.get("$ref")
    if not ref:
        return node
    name = ref.rsplit("/", 1)[-1]
    return schema()["components"]["schemas"][name]


def member_types(node: dict) -> list[dict]:
    """The alternatives a property allows (anyOf/oneOf flattened, null left out)."""
    node = resolve(node)
    members = node.get("anyOf") or node.get("oneOf")
    if members:
        return [m for member in members for m in member_types(member)]
    return [] if node.get("type") == "null" else [node]
