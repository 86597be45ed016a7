"""Two Cuebot deployments used at once from one process (two configured
settings, or a test's leftover poller beside the next test's client).

pycue keeps one gRPC channel per process; a client that re-points it while
another client's call is in flight sends that call to the wrong Cuebot. Each
client's calls must reach its own Cuebot, however they interleave."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from onepiece.adapters.farms.opencue.client import CuebotClient
from onepiece.errors import OnePieceError
from tests.fake_cuebot import FakeCuebot, reset_pycue

ROUNDS = 150


def test_each_client_reaches_its_own_cuebot_while_both_are_busy() -> None:
    alpha = FakeCuebot(shows=("alpha",)).start()
    beta = FakeCuebot(shows=("beta",)).start()
    clients = {
        "alpha": CuebotClient((alpha.address,), timeout_seconds=10),
        "beta": CuebotClient((beta.address,), timeout_seconds=10),
    }

    def ask(show: str) -> str:
        try:
            clients[show].find_show(show)
        except OnePieceError as exc:  # the other Cuebot has no such show
            return f"{show}: {exc}"
        return ""

    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(ask, ["alpha", "beta"] * ROUNDS))
    finally:
        alpha.stop()
        beta.stop()
        reset_pycue()
    wrong = [answer for answer in answers if answer]
    assert not wrong, wrong[:3]
