"""Local stand-ins for third-party services, served over real sockets in tests."""
