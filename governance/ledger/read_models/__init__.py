"""Read models for the dashboard: small queries over the rollups and the bookkeeping tables,
one module per page, each returning plain dataclasses or DataFrames (never a ledger scan)."""
