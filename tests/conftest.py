"""Fixtures every test folder shares (plain helpers are in tests/helpers.py)."""

from __future__ import annotations

import pytest
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
