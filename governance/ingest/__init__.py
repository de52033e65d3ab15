"""Ingestion: sources read into the ledger in batches, each committed with its cursor."""
