import os
import subprocess
import sys

import pytest

# One document at a time defaults to the accurate profile where the neural model is installed; the
# suite runs the fast profile unless a test names another (tests/test_neural.py covers the others).
os.environ.setdefault("UNSPIN_PROFILE", "fast")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "spun_article.txt")


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would, capturing bytes."""
    return subprocess.run([sys.executable, "-m", "unspin.cli", *args], input=stdin, capture_output=True,
                          timeout=300)


@pytest.fixture(scope="session")
def pipeline():
    from unspin.pipeline import default_pipeline

    return default_pipeline()
