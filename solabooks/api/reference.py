"""The OpenAPI schema (JSON) and a reference page for people, rendered on the server from
that same schema. Swagger UI / Redoc would load scripts from a CDN, which the strict CSP
(and the lack of network at run time) rules out; this page needs no script at all.

Both are public: they describe the API's shape, never any business's data.
"""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .schema import openapi_schema, openapi_schema_json

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str
    depth: int = 0


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    operation_id: str
    parameters: list[Field] = field(default_factory=list)
    request: list[Field] = field(default_factory=list)
    request_schema: str = ""
    responses: list[dict[str, str]] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            return " | ".join(_type_of(part) for part in schema[combinator])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if "enum" in schema:
        values = ", ".join(str(v) for v in schema["enum"] if v not in ("", None))
        kind = f"{kind or 'string'}: {values}"
    elif schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    if schema.get("nullable"):
        kind = f"{kind}, nullable"
    return kind or "any JSON value"


class _Schema:
    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return self.components.get(_ref_name(schema["$ref"]), {})
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.resolve(schema["allOf"][0])
        return schema

    def type_of(self, schema: dict[str, Any]) -> str:
        """Like _type_of, but an enum component also shows its values."""
        target = self.resolve(schema)
        if "enum" in target and ("$ref" in schema or "allOf" in schema):
            values = ", ".join(str(v) for v in target["enum"] if v not in ("", None))
            return f"{_type_of(schema)}: {values}"
        return _type_of(schema)

    def fields(self, schema: dict[str, Any], depth: int = 0) -> list[Field]:
        """An object's properties, and those of nested objects and arrays, one level a line."""
        schema = self.resolve(schema)
        if schema.get("type") == "array":
            schema = self.resolve(schema.get("items", {}))
        required = set(schema.get("required", []))
        rows = []
        for name, prop in schema.get("properties", {}).items():
            rows.append(
                Field(
                    name=name,
                    type=self.type_of(prop),
                    required=name in required,
                    description=prop.get("description", "")
                    or self.resolve(prop).get("description", ""),
                    depth=depth,
                )
            )
            nested = self.resolve(prop)
            if nested.get("type") == "array":
                nested = self.resolve(nested.get("items", {}))
            if nested.get("properties") and depth < 3:
                rows.extend(self.fields(nested, depth + 1))
        return rows


def operations(document: dict[str, Any]) -> list[tuple[str, list[Operation]]]:
    """The operations grouped by their first tag, in the schema's order."""
    schema = _Schema(document)
    groups: dict[str, list[Operation]] = {}
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            operation = Operation(
                method=method.upper(),
                path=path,
                summary=op.get("summary", ""),
                description=op.get("description", ""),
                operation_id=op.get("operationId", ""),
            )
            for param in op.get("parameters", []):
                operation.parameters.append(
                    Field(
                        name=f"{param['name']} ({param['in']})",
                        type=schema.type_of(param.get("schema", {})),
                        required=bool(param.get("required")),
                        description=param.get("description", ""),
                    )
                )
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                operation.request_schema = _type_of(body["schema"])
                operation.request = schema.fields(body["schema"])
            for code, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                operation.responses.append(
                    {
                        "code": code,
                        "description": response.get("description", ""),
                        "schema": _type_of(content["schema"]) if content else "",
                    }
                )
            tag = (op.get("tags") or ["Other"])[0]
            groups.setdefault(tag, []).append(operation)
    return list(groups.items())


def components(document: dict[str, Any]) -> list[tuple[str, str, list[Field]]]:
    schema = _Schema(document)
    return [
        (name, body.get("description", ""), schema.fields(body))
        for name, body in sorted(document.get("components", {}).get("schemas", {}).items())
    ]


@require_safe
def schema_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        openapi_schema_json(), content_type="application/vnd.oai.openapi+json; charset=utf-8"
    )


@require_safe
def reference_view(request: HttpRequest) -> HttpResponse:
    document = openapi_schema()
    return render(
        request,
        "api/reference.html",
        {
            "info": document.get("info", {}),
            "groups": operations(document),
            "components": components(document),
        },
    )
