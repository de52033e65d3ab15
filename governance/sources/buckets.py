"""Billing API pages: time buckets of grouped results, split into one record each, and their keys.

OpenAI (``/v1/organization/usage/completions``, ``/v1/organization/costs``) and Anthropic
(``/v1/organizations/usage_report/messages``, ``/v1/organizations/cost_report``) answer alike:
``{"data": [bucket, ...], "has_more", "next_page"}``, each bucket holding the start of its time
span and a list of ``results``, one per combination of the requested ``group_by`` values.

Traps: a result has no id of its own, so its key is a hash of the bucket start and its group
values, and a bucket the provider revises later (billing days stay open) keeps its key; OpenAI's
own schema names the list ``result`` while the API and its examples say ``results``; buckets of
days with no usage have an empty list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from governance.domain.categorise import tags_from
from governance.domain.usage import UsageRecord
from governance.sources.base import ParseResult, parse_one, reject

_PAGE_ONLY = ("data", "has_more", "next_page")


def bucket_key(*parts: object) -> str:
    """sha256 (hex, first 32 characters) of the parts joined by ``|``: stable across runs."""
    # Escaping the separator keeps ("a|b", "c") and ("a", "b|c") from sharing a key.
    text = "|".join(str(part).replace("\\", "\\\\").replace("|", "\\|") for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def group_parts(result: Mapping[str, Any], measures: frozenset[str]) -> list[str]:
    """``name=value`` for every group value of ``result``, sorted by name.

    Group values are the result's text and boolean fields other than its ``measures``; taking
    all of them, rather than a fixed list, keeps two results apart when a provider adds a
    ``group_by`` dimension. Null fields are left out: null means "not grouped by it".
    Numbers are measures, never group values, so a revised bucket keeps its key.
    """
    parts = []
    for name in sorted(result):
        value = result[name]
        if name in measures or value is None or not isinstance(value, str | bool):
            continue
        parts.append(f"{name}={str(value).lower() if isinstance(value, bool) else value}")
    return parts


def result_key(
    fmt: str, start: datetime, result: Mapping[str, Any], measures: frozenset[str]
) -> str:
    """The key of a bucket's result: its format, its bucket's start and its group values."""
    return bucket_key(fmt, start.isoformat(), *group_parts(result, measures))


def labels(result: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, ...]:
    """Tags ``name:value`` for group values without a column of their own: rules can use them."""
    return tags_from({name: result.get(name) for name in names})


def results_of(bucket: Mapping[str, Any]) -> Any:
    return bucket["results"] if "results" in bucket else bucket.get("result")


def first_result(value: Any) -> Mapping[str, Any] | None:
    """The first result of the first bucket that has one (what a page is recognised by)."""
    data = value.get("data") if isinstance(value, Mapping) else None
    for bucket in data if isinstance(data, list) else ():
        results = results_of(bucket) if isinstance(bucket, Mapping) else None
        if isinstance(results, list) and results:
            first = results[0]
            return first if isinstance(first, Mapping) else None
    return None


def unwrap(page: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The bucket and the result of a one-result page made by ``parse``."""
    bucket = page["data"][0]
    return bucket, bucket["results"][0]


def parse(
    value: Any, location: str, what: str, translate: Callable[[Any], UsageRecord]
) -> Iterator[ParseResult]:
    """Each result of a page translated, located as ``data[i].results[j]``.

    Each result is handed to ``translate`` (and, when bad, to the quarantine) as a page of its
    own holding its bucket and itself only: readable alone, and parsed the same way on a retry.
    """
    data = value.get("data") if isinstance(value, Mapping) else None
    if not isinstance(data, list):
        yield reject(location, f"not {what}: no 'data' list of buckets", value)
        return
    page = {key: item for key, item in value.items() if key not in _PAGE_ONLY}
    for i, bucket in enumerate(data):
        where = f"{location} data[{i}]"
        results = results_of(bucket) if isinstance(bucket, Mapping) else None
        if not isinstance(results, list):
            yield reject(where, f"not a bucket of {what}: no 'results' list", bucket)
            continue
        head = {key: item for key, item in bucket.items() if key not in ("results", "result")}
        for j, result in enumerate(results):
            alone = {**page, "data": [{**head, "results": [result]}]}
            if not isinstance(result, Mapping):
                yield reject(f"{where}.results[{j}]", "result is not an object", alone)
                continue
            yield parse_one(f"{where}.results[{j}]", alone, translate)
