"""The SQL ledger: tables, column types, the engine, migrations and read models."""
