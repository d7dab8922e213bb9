import pytest

import deltaw as dw


@pytest.fixture(autouse=True)
def _seed():
    dw.random.seed(0)
    yield


@pytest.fixture(autouse=True)
def _no_dataset_downloads(monkeypatch):
    # Tests never touch the internet: Keras' dataset origins point at a folder that does not
    # exist, so a loader that would download fails at once (mnist falls back to its subset).
    # Tests that serve files set DELTAW_DATASETS_MIRROR to their local server instead.
    monkeypatch.setenv("DELTAW_DATASETS_MIRROR", "file:///nonexistent-deltaw-test-mirror/")
