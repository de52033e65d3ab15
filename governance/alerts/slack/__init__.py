"""Slack: alerts posted with a bot token (a channel per category) or an incoming webhook."""

from governance.alerts.slack.transport import SlackChannel, slack_channel

__all__ = ["SlackChannel", "slack_channel"]
