"""The finance dashboard (Dash). It reads through governance.ledger read models."""
