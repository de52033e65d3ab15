"""The ledger's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from governance.ledger.types import IdType, Money, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("read", Integer, nullable=False, default=0),
    Column("added", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("cost", Money, nullable=False, default=0),
    Column("error", Text),
    Index(None, "source", "started_at"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("layer", String(8), nullable=False),  # gateway | billing
    Column("source", String(100), nullable=False),
    Column("source_key", String(255), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("provider", String(64), nullable=False),
    Column("model", String(255), nullable=False),  # provider prefix removed
    # The model the gateway priced the row as, where it is not the model that served it
    # (LiteLLM prices a stream rerouted by a pre-call hook at the requested model's rate).
    Column("priced_model", String(255)),
    Column("tier", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("team", String(255)),
    Column("project", String(255)),
    Column("api_key_hash", String(64)),  # never the key itself
    Column("tags", JSON),
    Column("requests", Integer, nullable=False, default=1),
    Column("input_tokens", BigInteger, nullable=False, default=0),
    Column("cached_input_tokens", BigInteger, nullable=False, default=0),
    Column("cache_write_tokens", BigInteger, nullable=False, default=0),
    Column("output_tokens", BigInteger, nullable=False, default=0),
    Column("cost", Money, nullable=False),  # in `currency`, the budget currency
    Column("currency", String(3), nullable=False),
    Column("cost_basis", String(10), nullable=False),  # reported | priced | unpriced
    Column("original_cost", Money),  # before [fx] conversion, when converted
    Column("original_currency", String(3)),
    Column("fx_rate", String(40)),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("run_id", IdType, ForeignKey("ingest_runs.id")),
    UniqueConstraint("source", "source_key"),
    Index(None, "occurred_at"),
    Index(None, "cost_basis"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("format", String(32), nullable=False),
    Column("location", String(1000), nullable=False),  # file:line, or page and index
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # the record as read, secrets removed
    Column("fingerprint", String(64), nullable=False),  # re-reading a bad record adds nothing
    Column("seen_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False, default="held"),  # held | released
    Column("released_at", UTCDateTime),
    Column("run_id", IdType, ForeignKey("ingest_runs.id")),
    UniqueConstraint("fingerprint"),
    Index(None, "status", "seen_at"),
)

source_cursors = Table(
    "source_cursors",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("stream", String(1000), primary_key=True),  # a file path or an API endpoint
    Column("position", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Rollups, kept in the same transaction as every ledger write: evaluation and the dashboard
# read these, never the ledger, so their cost does not grow with it.
rollup_hourly = Table(
    "rollup_hourly",
    metadata,
    Column("hour", UTCDateTime, primary_key=True),  # UTC, on the hour
    Column("provider", String(64), primary_key=True),
    Column("layer", String(8), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("cost", Money, nullable=False),
    Column("requests", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
)

rollup_daily = Table(
    "rollup_daily",
    metadata,
    Column("day", Date, primary_key=True),  # UTC day
    Column("provider", String(64), primary_key=True),
    Column("layer", String(8), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("tier", String(32), primary_key=True),
    Column("model", String(255), primary_key=True),
    Column("team", String(255), primary_key=True),  # "" when the row has none
    Column("cost", Money, nullable=False),
    Column("requests", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("unpriced", BigInteger, nullable=False),  # rows with cost_basis unpriced
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
    Column("evaluated_at", UTCDateTime, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("inputs", JSON, nullable=False),  # per category: allocation, spend, forecast...
    Column("directives_version", String(40), nullable=False),
    Index(None, "period", "as_of"),
)

crossings = Table(
    "crossings",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("category", String(64), nullable=False),
    Column("level", Integer, nullable=False),
    Column("basis", String(8), nullable=False),
    Column("crossed_at", UTCDateTime, nullable=False),
    Column("value", Money, nullable=False),
    Column("allocation", Money, nullable=False),
    Column("evaluation_id", IdType, ForeignKey("evaluations.id"), nullable=False),
    UniqueConstraint("period", "category", "level", "basis"),
)

directives = Table(
    "directives",
    metadata,
    Column("id", String(200), primary_key=True),  # period/category/from-to
    Column("period", String(7), nullable=False),
    Column("category", String(64), nullable=False),
    Column("from_tier", String(32), nullable=False),
    Column("to_tier", String(32), nullable=False),
    Column("trigger", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("substitutes", JSON, nullable=False),
    Column("effective_from", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("status", String(12), nullable=False),  # active | lifted | expired | revoked
    Column("ended_at", UTCDateTime),
    Column("revoked_by", String(200)),
    Column("revoke_reason", Text),
    Column("evaluation_id", IdType, ForeignKey("evaluations.id"), nullable=False),
    Index(None, "status", "period"),
)

# Each published directive document, newest last: what GET /directives serves.
directive_versions = Table(
    "directive_versions",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("version", String(40), nullable=False),
    Column("document", JSON, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

# The alert outbox: an alert is written in the transaction of the evaluation that caused it;
# senders claim rows with a conditional UPDATE, so each is posted by one sender only.
alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # crossing | lifted | stale | period_closed
    # What makes the alert unique ("crossing:2026-11:batch:100:actual"): enqueuing it again
    # (a re-run evaluation, a second replica) adds nothing.
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("period", String(7)),
    Column("category", String(64)),  # routes it to [alerts.slack] channels; None: the default
    Column("facts", JSON, nullable=False),  # what the message says, fixed when it was enqueued
    Column("evaluation_id", IdType, ForeignKey("evaluations.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(8), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime),
    Column("claimed_by", String(100)),
    Column("claimed_until", UTCDateTime),
    Column("last_error", Text),  # the reason in words, secrets removed
    Column("failed_hash", String(64)),  # the channel fingerprint a permanent error was met under
    Column("sent_at", UTCDateTime),
    Column("sent_to", String(255)),
    Index(None, "status", "next_attempt_at"),
)

# A permanent error that blocks a whole target: "slack" (the token or webhook) or
# "slack:#channel" (one channel). It holds until the channel's fingerprint changes.
alert_channel_state = Table(
    "alert_channel_state",
    metadata,
    Column("target", String(300), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("failed_hash", String(64), nullable=False),
    Column("failed_at", UTCDateTime, nullable=False),
    Column("alert_id", IdType),
)
