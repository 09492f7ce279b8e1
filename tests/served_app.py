"""The app for tests that serve it from another process (gunicorn workers): its settings come as JSON.

`CATALOGUE_TEST_APP_CONFIG` holds the test's settings (plain JSON values only: no fake gateway
objects cross a process boundary), so each worker builds the same app on the test's database.
"""

from __future__ import annotations

import json
import os

from catalogue import create_app

app = create_app(json.loads(os.environ["CATALOGUE_TEST_APP_CONFIG"]))
