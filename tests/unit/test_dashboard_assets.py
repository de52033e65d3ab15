"""The dashboard serves plotly.js's basic bundle (scatter, bar, pie: all its charts use) from
its assets, a quarter of the full bundle's size; Dash then loads no other plotly.js. It must be
the version the plotly package was built for."""

from __future__ import annotations

import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

ASSETS = Path(__file__).resolve().parents[2] / "dashboard" / "assets"


def test_the_basic_bundle_matches_the_plotly_package() -> None:
    [bundle] = ASSETS.glob("plotly-basic-*.min.js")
    header = bundle.read_text(encoding="utf-8")[:200]
    found = re.search(r"plotly\.js \(basic - minified\) v([\d.]+)", header)
    assert found is not None, header
    assert found[1] == get_plotlyjs_version() == bundle.name.split("-")[2].removesuffix(".min.js")


def test_the_charts_use_only_trace_types_of_the_basic_bundle() -> None:
    source = "\n".join(p.read_text() for p in ASSETS.parent.glob("**/*.py"))
    used = {m.lower() for m in re.findall(r"\bgo\.([A-Z]\w+)\(", source)} - {"figure", "layout"}
    used |= set(re.findall(r"\bpx\.(\w+)\(", source))
    used |= set(re.findall(r"\.add_(\w+)\(", source)) - {
        "annotation",
        "shape",
        "hline",
        "vline",
        "hrect",
        "vrect",
    }
    assert used, "no chart found: the patterns are out of date"
    assert used <= {"scatter", "bar", "pie", "line"}, used
