"""PostgreSQL for the system tests: one throwaway cluster per test session (scripts/pg-cluster.sh,
which `make test` runs the session under and names in GATEWAYD_TEST_POSTGRES), a fresh database
per test. Without a cluster the tests that need one are skipped, unless GATEWAYD_REQUIRE_POSTGRES
is set (as `make test` sets it), which fails them instead."""
import os
import subprocess
import tempfile
import uuid

import pytest

from harness import ROOT


def psql(url, sql):
    return subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def database_url(cluster_url, name):
    """The cluster's URL (…/postgres?host=DIR) with another database."""
    base, _, query = cluster_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


@pytest.fixture(scope="session")
def postgres():
    url = os.environ.get("GATEWAYD_TEST_POSTGRES")
    if url:
        yield url
        return
    if os.environ.get("GATEWAYD_REQUIRE_POSTGRES"):
        pytest.fail("GATEWAYD_TEST_POSTGRES is not set: run the tests under scripts/pg-cluster.sh run -- …")
    d = tempfile.mkdtemp(prefix="gatewayd-pg.")
    try:
        url = subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "start", d], check=True,
                             capture_output=True, text=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        pytest.skip(f"no PostgreSQL cluster could be started: {e}")
    yield url
    subprocess.run([str(ROOT / "scripts" / "pg-cluster.sh"), "stop", d], check=False)


@pytest.fixture
def pg_db(postgres):
    """A new, empty database; its URL."""
    name = "t_" + uuid.uuid4().hex
    psql(postgres, f"CREATE DATABASE {name}")
    yield database_url(postgres, name)
    psql(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
