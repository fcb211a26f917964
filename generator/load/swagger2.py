"""Upgrade a Swagger 2.0 document to OpenAPI 3.0, so older specs (Kubernetes publishes one) can
be generated from. Only what 2.0 can express is mapped; the result is a plain 3.0.3 document:

* definitions / parameters / responses / securityDefinitions -> components, `$ref`s rewritten
* body and formData parameters -> requestBody (with `consumes`), other parameters get `schema`
* response `schema` -> content (with `produces`), response headers -> header objects
* host / basePath / schemes -> servers; `x-nullable` -> nullable; `type: file` -> binary string
"""

from __future__ import annotations

import copy
from typing import Any

_PARAM_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
)
_REF_PREFIXES = (
    ("#/definitions/", "#/components/schemas/"),
    ("#/parameters/", "#/components/parameters/"),
    ("#/responses/", "#/components/responses/"),
)


def is_swagger2(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("swagger", "")).startswith("2")


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    source = copy.deepcopy(data)
    body_params = {
        name
        for name, p in (source.get("parameters") or {}).items()
        if isinstance(p, dict) and p.get("in") in ("body", "formData")
    }
    _rewrite(source, body_params)
    consumes = source.get("consumes") or ["application/json"]
    produces = source.get("produces") or ["application/json"]
    result: dict[str, Any] = {"openapi": "3.0.3", "info": source.get("info") or {}}
    result["servers"] = _servers(source)
    components: dict[str, Any] = {}
    if isinstance(source.get("definitions"), dict):
        components["schemas"] = source["definitions"]
    parameters, bodies = {}, {}
    for name, param in (source.get("parameters") or {}).items():
        if name in body_params:
            bodies[name] = _request_body([param], consumes)
        else:
            parameters[name] = _parameter(param)
    if parameters:
        components["parameters"] = parameters
    if bodies:
        components["requestBodies"] = bodies
    if isinstance(source.get("responses"), dict):
        components["responses"] = {
            n: _response(r, produces) for n, r in source["responses"].items()
        }
    if isinstance(source.get("securityDefinitions"), dict):
        components["securitySchemes"] = {
            n: _security_scheme(s) for n, s in source["securityDefinitions"].items()
        }
    if components:
        result["components"] = components
    for key in ("security", "tags", "externalDocs"):
        if key in source:
            result[key] = source[key]
    result["paths"] = {}
    for path, item in (source.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        new_item: dict[str, Any] = {}
        shared = item.get("parameters") or []
        if shared:
            new_item["parameters"] = [_parameter(p) for p in shared if not _is_body(p, body_params)]
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            new_item[method] = _operation(op, shared, consumes, produces, body_params)
        result["paths"][path] = new_item
    result.update({k: v for k, v in source.items() if k.startswith("x-")})
    return result


def _rewrite(value: Any, body_params: set[str]) -> None:
    """Rewrite `$ref`s and 2.0-only schema keywords everywhere, in place."""
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                for old, new in _REF_PREFIXES:
                    if ref.startswith(old):
                        name = ref[len(old) :]
                        if old == "#/parameters/" and name in body_params:
                            new = "#/components/requestBodies/"
                        node["$ref"] = new + name
                        break
            if node.pop("x-nullable", False) is True:
                node["nullable"] = True
            if node.get("type") == "file":
                node["type"], node["format"] = "string", "binary"
            if isinstance(node.get("discriminator"), str):
                node["discriminator"] = {"propertyName": node["discriminator"]}
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)


def _servers(source: dict[str, Any]) -> list[dict[str, str]]:
    base = source.get("basePath") or ""
    host = source.get("host")
    if not host:
        return [{"url": base or "/"}]
    schemes = source.get("schemes") or ["https"]
    return [{"url": f"{scheme}://{host}{base}"} for scheme in schemes]


def _is_body(param: Any, body_params: set[str]) -> bool:
    if isinstance(param, dict) and isinstance(param.get("$ref"), str):
        return str(param["$ref"]).startswith("#/components/requestBodies/")
    return isinstance(param, dict) and param.get("in") in ("body", "formData")


def _parameter(param: Any) -> Any:
    if not isinstance(param, dict) or "$ref" in param:
        return param
    result = {
        k: v
        for k, v in param.items()
        if k not in _PARAM_SCHEMA_KEYS and k not in ("collectionFormat", "allowEmptyValue")
    }
    schema = {k: param[k] for k in _PARAM_SCHEMA_KEYS if k in param}
    if schema:
        result["schema"] = schema
    fmt = param.get("collectionFormat")
    if schema.get("type") == "array" and fmt:
        if fmt == "multi":
            result["style"], result["explode"] = "form", True
        elif fmt == "csv":
            result["style"] = "form" if param.get("in") == "query" else "simple"
            result["explode"] = False
        elif fmt in ("ssv", "pipes"):
            result["style"] = {"ssv": "spaceDelimited", "pipes": "pipeDelimited"}[fmt]
    return result


def _request_body(params: list[dict[str, Any]], consumes: list[str]) -> dict[str, Any]:
    body = next((p for p in params if p.get("in") == "body"), None)
    if body is not None:
        schema = body.get("schema") or {}
        result: dict[str, Any] = {"content": {ct: {"schema": schema} for ct in consumes}}
        if body.get("description"):
            result["description"] = body["description"]
        if body.get("required"):
            result["required"] = True
        return result
    properties = {p["name"]: {k: p[k] for k in _PARAM_SCHEMA_KEYS if k in p} for p in params}
    required = [p["name"] for p in params if p.get("required")]
    form: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        form["required"] = required
    media = [
        c for c in consumes if c in ("application/x-www-form-urlencoded", "multipart/form-data")
    ]
    return {
        "content": {ct: {"schema": form} for ct in media or ["application/x-www-form-urlencoded"]}
    }


def _response(response: Any, produces: list[str]) -> Any:
    if not isinstance(response, dict) or "$ref" in response:
        return response
    result: dict[str, Any] = {"description": response.get("description") or ""}
    if "schema" in response:
        result["content"] = {ct: {"schema": response["schema"]} for ct in produces}
    headers = response.get("headers")
    if isinstance(headers, dict):
        result["headers"] = {
            name: {
                "schema": {k: h[k] for k in _PARAM_SCHEMA_KEYS if k in h},
                **({"description": h["description"]} if "description" in h else {}),
            }
            for name, h in headers.items()
            if isinstance(h, dict)
        }
    return result


def _operation(
    op: dict[str, Any],
    shared: list[Any],
    consumes: list[str],
    produces: list[str],
    body_params: set[str],
) -> dict[str, Any]:
    consumes = op.get("consumes") or consumes
    produces = op.get("produces") or produces
    result = {
        k: v
        for k, v in op.items()
        if k not in ("parameters", "responses", "consumes", "produces", "schemes")
    }
    params = op.get("parameters") or []
    plain = [_parameter(p) for p in params if not _is_body(p, body_params)]
    if plain:
        result["parameters"] = plain
    inline = [
        p
        for p in [*shared, *params]
        if isinstance(p, dict) and "$ref" not in p and p.get("in") in ("body", "formData")
    ]
    refs = [
        p
        for p in params
        if isinstance(p, dict)
        and isinstance(p.get("$ref"), str)
        and p["$ref"].startswith("#/components/requestBodies/")
    ]
    if inline:
        result["requestBody"] = _request_body(inline, consumes)
    elif refs:
        result["requestBody"] = {"$ref": refs[0]["$ref"]}
    responses = op.get("responses") or {"default": {"description": ""}}
    result["responses"] = {str(s): _response(r, produces) for s, r in responses.items()}
    return result


def _security_scheme(scheme: Any) -> Any:
    if not isinstance(scheme, dict):
        return scheme
    kind = scheme.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if kind == "apiKey":
        return {k: scheme[k] for k in ("type", "name", "in", "description") if k in scheme}
    if kind == "oauth2":
        flow_names = {
            "implicit": "implicit",
            "password": "password",
            "application": "clientCredentials",
            "accessCode": "authorizationCode",
        }
        flow = {k: scheme[k] for k in ("authorizationUrl", "tokenUrl") if k in scheme}
        flow["scopes"] = scheme.get("scopes") or {}
        return {
            "type": "oauth2",
            "flows": {flow_names.get(scheme.get("flow", ""), "implicit"): flow},
        }
    return scheme
