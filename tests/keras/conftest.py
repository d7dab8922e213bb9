"""Fixtures shared by the Keras API tests."""

# `server`: a local HTTP server for the download tests (no test touches the internet)
from tests.keras.local_server import server  # noqa: F401
