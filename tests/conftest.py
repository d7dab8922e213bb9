import pytest

import deltaw as dw


@pytest.fixture(autouse=True)
def _seed():
    dw.random.seed(0)
    yield
