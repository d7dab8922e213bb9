"""Op-table rows for deltaw.nn (activations, losses, and the layer ops)."""

from __future__ import annotations

ROWS = []
