"""``GET /openapi.json``: the OpenAPI 3.1 description of the API (DESIGN section 7).

Precise enough for a contract test (schemathesis) to check every status code, header and body.
"""

from __future__ import annotations

from typing import Any

from governance import __version__

JSON = dict[str, Any]

_TIME = {"type": "string", "format": "date-time"}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_PERIOD = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {"start": _TIME, "end": _TIME},
}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: JSON, description: str, headers: JSON | None = None) -> JSON:
    response: JSON = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


_ERROR = _json(_ref("Error"), 'An error: `{"error": "..."}`.')
_ETAG = {"description": 'The version, quoted: `"2026-11:5c2f9a1e"`.', "schema": {"type": "string"}}
_NO_CACHE = {"schema": {"type": "string", "const": "no-cache"}}

_DIRECTIVE: JSON = {
    "type": "object",
    "required": ["id", "category", "action", "from_tier", "to_tier", "substitutes", "trigger",
                 "reason", "effective_from", "expires_at", "origin"],
    "properties": {
        "id": {"type": "string"},
        "category": {"type": "string"},
        "action": {"type": "string", "const": "downgrade"},
        "from_tier": {"type": "string"},
        "to_tier": {"type": "string"},
        "substitutes": {"type": "object", "additionalProperties": {"type": "string"}},
        "trigger": {
            "type": "object",
            "required": ["level", "basis", "spend", "forecast", "allocation", "currency"],
            "properties": {
                "level": {"type": "integer"},
                "basis": {"enum": ["actual", "forecast"]},
                "spend": _MONEY, "forecast": _MONEY, "allocation": _MONEY,
                "currency": {"type": "string"},
            },
        },
        "reason": {"type": "string"},
        "effective_from": _TIME,
        "expires_at": _TIME,
        "origin": {"type": "string"},
    },
}  # fmt: skip

_DIRECTIVES: JSON = {
    "type": "object",
    "required": ["version", "generated_at", "period", "poll_seconds", "routes", "directives"],
    "properties": {
        "version": {"type": "string"},
        "generated_at": _TIME,
        "period": _PERIOD,
        "poll_seconds": {"type": "integer", "minimum": 1},
        "routes": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "policy": {
            "type": "object",
            "description": "What a router needs to decide as the ledger will (API keys as hashes).",
            "required": ["rules", "tiers", "substitutes", "routing", "fallbacks"],
            "properties": {
                "rules": {"type": "array", "items": {"type": "object"}},
                "tiers": {"type": "object"},
                "substitutes": {"type": "object", "additionalProperties": {"type": "string"}},
                "routing": {"type": "object"},
                "fallbacks": {"type": "object"},
            },
        },
        "directives": {"type": "array", "items": _ref("Directive")},
    },
}

_HEALTH: JSON = {
    "type": "object",
    "required": ["status", "database", "last_ingest", "last_evaluation", "directives_version",
                 "stale_sources"],
    "properties": {
        "status": {"enum": ["ok", "degraded"]},
        "database": {"enum": ["ok", "unreachable"]},
        "last_ingest": {"type": ["string", "null"], "format": "date-time"},
        "last_evaluation": {"type": ["string", "null"], "format": "date-time"},
        "directives_version": {"type": ["string", "null"]},
        "stale_sources": {"type": "array", "items": {"type": "string"}},
        "error": {"type": "string"},
        "role": {"enum": ["leader", "standby"]},
        "jobs": {"type": "object", "additionalProperties": _ref("Job")},
    },
}  # fmt: skip

_JOB: JSON = {
    "type": "object",
    "required": ["running", "last_start", "last_finish", "last_outcome", "last_error",
                 "last_duration_seconds", "last_success", "runs", "failures", "next_run"],
    "properties": {
        "running": {"type": "boolean"},
        "last_start": {"type": ["string", "null"], "format": "date-time"},
        "last_finish": {"type": ["string", "null"], "format": "date-time"},
        "last_outcome": {"enum": ["ok", "failed", None]},
        "last_error": {"type": ["string", "null"]},
        "last_duration_seconds": {"type": ["number", "null"]},
        "last_success": {"type": ["string", "null"], "format": "date-time"},
        "runs": {"type": "integer"},
        "failures": {"type": "integer"},
        "next_run": {"type": ["string", "null"], "format": "date-time"},
    },
}  # fmt: skip

_CATEGORY: JSON = {
    "type": "object",
    "required": ["name", "share", "allocation", "spend", "percent", "forecast", "forecast_low",
                 "forecast_high", "crossed", "directives"],
    "properties": {
        "name": {"type": "string"},
        "share": {"type": "number"},
        "allocation": _MONEY, "spend": _MONEY,
        "percent": {"type": ["number", "null"]},
        "forecast": _MONEY, "forecast_low": _MONEY, "forecast_high": _MONEY,
        "crossed": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["level", "basis", "at"],
                "properties": {"level": {"type": "integer"},
                               "basis": {"enum": ["actual", "forecast"]}, "at": _TIME},
            },
        },
        "directives": {"type": "array", "items": {"type": "string"}},
    },
}  # fmt: skip

_STATUS: JSON = {
    "type": "object",
    "required": ["period", "as_of", "currency", "budget", "categories"],
    "properties": {
        "period": _PERIOD,
        "as_of": _TIME,
        "currency": {"type": "string"},
        "budget": _MONEY,
        "categories": {"type": "array", "items": _ref("Category")},
        "alert_problems": {
            "type": "array",
            "description": "Permanent alert delivery errors, held until the config is fixed.",
            "items": {
                "type": "object",
                "required": ["target", "reason", "since"],
                "properties": {
                    "target": {"type": "string"},
                    "reason": {"type": "string"},
                    "since": _TIME,
                },
            },
        },
    },
}


def openapi_document(tokens_required: bool) -> JSON:
    """The API's description; ``/directives`` names its bearer scheme only when tokens are set."""
    directives: JSON = {
        "summary": "The directives in force (the router contract)",
        "operationId": "getDirectives",
        "parameters": [
            {"name": "category", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only this category's routes and directives."},
            {"name": "If-None-Match", "in": "header", "required": False,
             "schema": {"type": "string"}, "description": "A version seen before: 304 if current."},
        ],
        "responses": {
            "200": _json(_ref("Directives"), "The directives.",
                         {"ETag": {**_ETAG, "required": True}, "Cache-Control": _NO_CACHE}),
            "304": {"description": "Not modified since the version named.",
                    "headers": {"ETag": {**_ETAG, "required": True}}},
            "401": {**_ERROR, "description": "No valid bearer token.",
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                     "required": True}}},
            "503": {**_ERROR, "description": "No directives could be read yet."},
        },
    }  # fmt: skip
    if tokens_required:
        directives["security"] = [{"routerToken": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "spend-governance", "version": __version__},
        "paths": {
            "/directives": {"get": directives},
            "/healthz": {"get": {
                "summary": "Health: database, freshness of sources and evaluation",
                "operationId": "getHealth",
                "responses": {"200": _json(_ref("Health"), "Healthy."),
                              "503": _json(_ref("Health"), "Degraded.")},
            }},
            "/metrics": {"get": {
                "summary": "Prometheus metrics",
                "operationId": "getMetrics",
                "responses": {"200": {"description": "Text exposition format 0.0.4.",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }},
            "/api/v1/status": {"get": {
                "summary": "The `governance status --json` document",
                "operationId": "getStatus",
                "parameters": [{"name": "period", "in": "query", "required": False,
                                "schema": {"type": "string",
                                           "pattern": "^[12][0-9]{3}-(0[1-9]|1[0-2])$"},
                                "description": "YYYY-MM (default: the current period)."}],
                "responses": {"200": _json(_ref("Status"), "The status."),
                              "400": {**_ERROR, "description": "Not a period."},
                              "503": {**_ERROR, "description": "The database is unreachable."}},
            }},
            "/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "getOpenAPI",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
            }},
        },
        "components": {
            "schemas": {
                "Directives": _DIRECTIVES, "Directive": _DIRECTIVE, "Health": _HEALTH,
                "Job": _JOB, "Status": _STATUS, "Category": _CATEGORY,
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}}},
            },
            "securitySchemes": {"routerToken": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip
