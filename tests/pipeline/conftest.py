from __future__ import annotations

import pytest

from issuer.chain.backends import memory_chain

from .world import Institution, World


@pytest.fixture(scope="module")
def world() -> World:
    return World.create(memory_chain(fresh=True))


@pytest.fixture(scope="module")
def institution(world: World) -> Institution:
    return world.institution()
