"""Turn pydantic's validation errors into config Problems: a key path and plain words.

pydantic reports ``loc=('sources', 0, 'every')`` and ``msg='Value error, ...'``; people read
``sources[0].every: not a duration, expected e.g. 30s, 5m, 1h: 'x'``.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from governance.exceptions import Problem

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

# pydantic's wording for the errors a TOML file can produce, in the words of the config file.
_MESSAGES: dict[str, str] = {
    "missing": "required, but missing",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "decimal_type": "must be a decimal number",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
}

# Types whose message is more useful with the offending value shown.
_SHOW_INPUT = {"string_type", "int_type", "int_from_float", "bool_type", "decimal_type"}


class ConfigConflicts(ValueError):
    """Several problems found across sections, raised from a model validator as one error.

    pydantic keeps the exception in the error's context, and ``problems_from`` unpacks it, so that
    each conflict is reported at its own key path rather than at the root.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def format_path(loc: Sequence[str | int]) -> str:
    """Render a key path as in the TOML file: ``categories.batch.downgrade[0].from``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if part == "[key]":  # pydantic's marker for "the dict key itself": the path already is it
            continue
        key = part if _BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
        out += f".{key}" if out else key
    return out


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """All the problems in ``error``, raised while validating ``model``, as Problems."""
    problems: list[Problem] = []
    for detail in error.errors():
        ctx = detail.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, ConfigConflicts):
            problems.extend(cause.problems)
            continue
        problems.append(Problem(format_path(detail["loc"]), _message(detail, model)))
    return problems


def _message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_key(detail["loc"], model)
    template = _MESSAGES.get(kind)
    if template is None:
        return detail["msg"]
    message = template.format(**ctx)
    value = detail.get("input")
    if kind in _SHOW_INPUT and isinstance(value, str | int | float | bool):
        message += f", not {value!r}"
    return message


def _unknown_key(loc: tuple[str | int, ...], model: type[BaseModel]) -> str:
    key = str(loc[-1])
    known = _keys_at(model, loc[:-1])
    if not known:
        return f"unknown key '{key}'"
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key '{key}' (did you mean '{close[0]}'?)"
    return f"unknown key '{key}' (known keys: {', '.join(known)})"


def _keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys allowed in the table at ``loc``, by following the model's field types."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f for name, f in current.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return []
            current = fields[part].annotation
            continue
        origin, args = get_origin(current), get_args(current)
        if origin in (list, tuple) and isinstance(part, int) and args:
            current = args[0]
        elif origin is dict and isinstance(part, str) and len(args) == 2:
            current = args[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation
