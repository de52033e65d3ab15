"""Secrets the config names: read from the variable or its _FILE, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.config.secrets import read_secret, redact
from governance.exceptions import ConfigError

# --- secrets ----------------------------------------------------------------------------------


def test_read_secret_prefers_the_variable_then_the_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("xoxb-from-file\n")

    assert read_secret("TOKEN", {"TOKEN": "xoxb-env"}) == "xoxb-env"
    assert read_secret("TOKEN", {"TOKEN_FILE": str(secret_file)}) == "xoxb-from-file"
    both = {"TOKEN": "", "TOKEN_FILE": str(secret_file)}
    assert read_secret("TOKEN", both) == "xoxb-from-file"
    assert read_secret("TOKEN", {}) is None


def test_unreadable_secret_file_names_the_variable_not_the_secret(tmp_path: Path) -> None:
    missing = tmp_path / "absent"

    with pytest.raises(ConfigError) as caught:
        read_secret("TOKEN", {"TOKEN_FILE": str(missing)})

    [problem] = caught.value.problems
    assert problem.path == "TOKEN_FILE"
    assert str(missing) in problem.message


def test_undecodable_secret_file_does_not_show_its_bytes(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_bytes(b"\xffsecret-bytes")

    with pytest.raises(ConfigError) as caught:
        read_secret("TOKEN", {"TOKEN_FILE": str(secret_file)})

    assert "secret-bytes" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_redact_hides_every_secret() -> None:
    text = "Bearer abc123 and abc123xyz, not ''"

    assert redact(text, ["abc123", "abc123xyz", ""]) == "Bearer *** and ***, not ''"
    assert redact(text, []) == text
