"""A message in Block Kit, with its plain-text fallback (what notifications show)."""

from __future__ import annotations

from typing import Any, Final

from governance.alerts.messages import Message

_EMOJI: Final = {
    "critical": ":rotating_light:",
    "warning": ":warning:",
    "info": ":information_source:",
}
# Block Kit's limits: a header's text, a section's text, a field's text, fields per section.
_HEADER_CHARS: Final = 150
_TEXT_CHARS: Final = 3000
_FIELD_CHARS: Final = 2000
_FIELDS: Final = 10
_FALLBACK_CHARS: Final = 4000


def escape(text: str) -> str:
    """Text for mrkdwn: Slack reads &, < and > as markup (links, mentions) unless escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str, limit: int = _TEXT_CHARS) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def to_blocks(message: Message) -> list[dict[str, Any]]:
    """The message as Block Kit blocks: header, summary, fields, sections, dashboard link."""
    title = f"{_EMOJI[message.severity]} {message.title}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, _HEADER_CHARS)}},
        {"type": "section", "text": _mrkdwn(escape(message.summary))},
    ]
    fields = [
        _mrkdwn(f"*{escape(label)}*\n{escape(value)}", _FIELD_CHARS)
        for label, value in message.fields
    ]
    # Sections side by side (top models | top teams) read better than stacked.
    fields += [
        _mrkdwn(f"*{escape(heading)}*\n" + "\n".join(f"• {escape(i)}" for i in items), _FIELD_CHARS)
        for heading, items in message.sections
    ]
    for start in range(0, len(fields), _FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + _FIELDS]})
    if message.link is not None:
        label, url = message.link
        link = f"<{escape(url)}|{escape(label)}>"
        blocks.append({"type": "context", "elements": [_mrkdwn(link)]})
    return blocks


def fallback_text(message: Message) -> str:
    """The plain-text ``text`` sent with the blocks."""
    return _cut(message.plain_text(), _FALLBACK_CHARS)
