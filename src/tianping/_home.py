"""Where Tianping keeps its own files: ``$TIANPING_HOME``, else the user's data directory.

The default database, signing keys and assessment folders all live here, so
one variable moves them together (tests point it at a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "TIANPING_HOME"


def data_home() -> Path:
    """``$TIANPING_HOME`` if set, else the platform's user data directory for tianping."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tianping"))
