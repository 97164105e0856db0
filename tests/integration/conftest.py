"""Fixtures of the integration tests that run against the simulators (HSS, SM-DP+, recording doubles)."""

import pytest

from tests.simulated_world import start_world, stop_world


@pytest.fixture(scope="module")
def world():
    w = start_world()
    yield w
    stop_world(w)


@pytest.fixture
def sims(world):
    world.post(world.hss, "reset", {})
    world.post(world.smdp, "reset", {})
    world.recorder.calls.clear()
    return world
