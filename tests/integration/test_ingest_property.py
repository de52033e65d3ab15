"""Arbitrary records through the whole path, reader to committed ledger, on both ledgers: every
field of every file format given huge, negative, fractional, non-finite, surrogate, NUL, very
long, far-past and far-future values. For each run: read = added + duplicates + quarantined;
every record written is a ledger row or in a quarantined record; and the next run of the same
source makes progress (the poisoned file is not read again, a good one after it is)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from governance.context import Governance
from governance.ingest.service import ingestor
from governance.ledger.tables import ledger, quarantine
from governance.sources.formats import get_format
from tests.integration.conftest import AppFactory
from tests.integration.hostile import SPECS, Path_, Spec, get, put, write

_SOURCES = itertools.count()
FAR_TIMES = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
             "1999-12-31T23:59:59", -62135596800, 253402300799, Decimal("1e20")]  # fmt: skip
HOSTILE = st.one_of(
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.sampled_from([10**30, 9_223_372_037, 922_337_203_700, -1, -(2**63) - 1, 0, 2**31]),
    st.sampled_from([Decimal(v) for v in ("1.5", "-0.001", "1e300", "5e-10", "NaN", "-Infinity")]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["\ud83d", "a\udc00b", "\x00", "nul\x00in", "x" * 20_000, "", " ", "{"]),
    st.text(st.characters(categories=["Cs", "Cc", "Lu", "Nd", "So"]), max_size=12),
    st.sampled_from(FAR_TIMES),
    st.none(),
    st.booleans(),
    st.lists(st.integers(-3, 3), max_size=2),
    st.dictionaries(st.sampled_from(["team", "a"]), st.text(max_size=3), max_size=2),
)


def _leaves(value: Any, path: Path_ = ()) -> list[Path_]:
    """Every field of a record, nested ones included (list items by their index)."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, str(i)))]
    return [path]


@st.composite
def poisoned(draw: st.DrawFn) -> tuple[Spec, list[tuple[dict[str, Any], str | None]]]:
    """A format, and 1-4 records of it, each with 0-3 fields poisoned; with each its marker
    (None when the marker field itself was poisoned)."""
    spec = SPECS[draw(st.sampled_from(sorted(SPECS)))]
    batch = next(_SOURCES)
    records = []
    for i in range(draw(st.integers(1, 4))):
        marker = f"m{batch}x{i}"
        record = spec.record(marker)
        fields = draw(st.lists(st.sampled_from(_leaves(record)), max_size=3, unique=True))
        for path in fields:
            try:
                record = put(record, path, draw(HOSTILE))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier poison replaced the field's parent
        records.append((record, marker if get(record, spec.marker) == marker else None))
    return spec, records


def _suffix(spec: Spec) -> str:
    return {"jsonl": ".jsonl", "page": ".json", "csv": ".csv"}[spec.kind]


def _held_text(app: Governance, source: str) -> str:
    with app.engine.connect() as conn:
        raws = conn.execute(select(quarantine.c.raw).where(quarantine.c.source == source))
        return "\n".join(raws.scalars())


def _markers(app: Governance, source: str) -> set[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.source_key, ledger.c.project).where(ledger.c.source == source)
        ).all()
    return {value for row in rows for value in row if value}


def test_any_records_end_in_the_ledger_or_the_quarantine_and_the_source_goes_on(
    make_app: AppFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = make_app()  # one ledger for every example; each example is a source of its own

    # No shrinking: an example is two whole runs, and shrinking one took minutes; a failure is
    # reported as it was drawn. Sixty examples keep both ledgers near 10 s on two cores.
    @settings(
        max_examples=60,
        deadline=timedelta(seconds=5),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(case=poisoned())
    def one(case: tuple[Spec, list[tuple[dict[str, Any], str | None]]]) -> None:
        _check(app, tmp_path_factory.mktemp("poisoned"), *case)

    one()


def _check(
    app: Governance, folder: Path, spec: Spec, records: list[tuple[dict[str, Any], str | None]]
) -> None:
    source = folder.name
    fmt = get_format(spec.name)
    first = write(spec, folder / f"a{_suffix(spec)}", [record for record, _ in records])

    run = ingestor(app).run(source, [first], fmt, spec.context).totals
    assert run.read == run.added + run.duplicates + run.quarantined
    assert run.read >= 1
    markers, held = _markers(app, source), _held_text(app, source)
    for _, marker in records:
        assert marker is None or marker in markers or marker in held, (marker, records)
    assert len(markers & {m for _, m in records if m}) <= run.added

    good = spec.record(f"{source}-next")
    second = write(spec, folder / f"b{_suffix(spec)}", [good])
    again = ingestor(app).run(source, [first, second], fmt, spec.context)
    assert [f.counts.read for f in again.files] == [0, 1]  # the poisoned file is behind it
    assert again.totals.added == 1 and f"{source}-next" in _markers(app, source)
