import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import Site, GATEWAYD, CASE_SERVER  # noqa: E402
from nfc_fixtures import nfc_tag_reader, pcscd  # noqa: E402,F401  (fixtures)
from tpm_fixtures import swtpm  # noqa: E402,F401  (fixture)
from pg_fixtures import postgres, pg_db  # noqa: E402,F401  (fixtures)
from browsers import browser, console, kiosk  # noqa: E402,F401  (fixtures)


def pytest_sessionstart(session):
    for b in (GATEWAYD, CASE_SERVER):
        if not os.access(b, os.X_OK):
            raise pytest.UsageError(f"{b} is not built; run `make test` (it builds first)")


@pytest.fixture
def site(tmp_path, request):
    s = Site(tmp_path)
    yield s
    s.close()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for name in ("gatewayd", "server"):
            print(f"--- {name}.log ---\n{s.log(name)[-4000:]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
