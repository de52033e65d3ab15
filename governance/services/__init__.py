"""The use cases the CLI, the daemon, the API and the dashboard share: evaluating a period
(``evaluate``), the status and spend reports (``reports``), and pricing rows from their tokens
(``pricing``)."""
