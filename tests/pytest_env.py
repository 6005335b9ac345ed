"""Loaded by pytest before Django starts (`-p tests.pytest_env`): give the test run its own
data directory and run background tasks inline unless a test starts a real worker."""

import os
import tempfile

os.environ.setdefault("INCIDENTDESK_DATA_DIR", tempfile.mkdtemp(prefix="incidentdesk-test-"))
os.environ.setdefault("INCIDENTDESK_TASKS_IMMEDIATE", "1")
