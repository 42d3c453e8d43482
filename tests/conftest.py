"""Fixtures every test folder shares (plain helpers are in tests/helpers.py)."""

from __future__ import annotations

import os

import pytest

# One process per run unless a test asks for workers: tests that watch a run's rounds or its
# models need them in this process; tests/experiments/test_workers.py runs the worker pool.
os.environ.setdefault("EUCOALITION_WORKERS", "1")
from helpers import run_cli


@pytest.fixture
def cli():
    """The command line, run in-process: ``cli("vote", "--rule", "qmv")``."""
    return run_cli


@pytest.fixture(scope="session")
def council_pops() -> dict[str, int]:
    """The Council's 2025 population figures, iso2 -> people."""
    from model.inputs.council import population_table

    return population_table()
