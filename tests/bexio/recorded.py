"""Where the real bexio responses live: ``../shared/bexio-recorded`` beside the checkout, or
``$BXHOURS_SHARED_DIR/bexio-recorded`` for a checkout elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("BXHOURS_SHARED_DIR", Path(__file__).resolve().parents[2] / ".." / "shared"))
RECORDED = SHARED / "bexio-recorded"
