"""Fixtures of the hostile-input tests: one in-process chain with an accredited institution."""

from __future__ import annotations

import pytest
from pipeline.world import Institution, World

from issuer.chain.backends import memory_chain


@pytest.fixture(scope="module")
def world() -> World:
    return World.create(memory_chain(fresh=True))


@pytest.fixture(scope="module")
def institution(world: World) -> Institution:
    return world.institution()
