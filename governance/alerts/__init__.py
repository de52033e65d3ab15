"""Alerts: the channel port (``base``), one package per channel (``slack``), the outbox
(``outbox``: enqueue and claim; ``enqueue``: what an evaluation causes; ``delivery``: the
sender) and the words (``facts`` fixed at enqueue, ``messages`` rendered at send)."""
