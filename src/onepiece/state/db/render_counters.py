"""The render history's counters (size, pruned) without one hot row.

Each counter is its base row in ``counters`` (``render_jobs.size``, where an
import adds) plus ``SHARDS`` shard rows (``render_jobs.size.3``): a write
bumps one shard, picked at random per transaction, and a read sums them all.
On PostgreSQL a row a transaction updates stays locked until its commit (WAL
flush included): with one row per counter, every concurrent submit queued on
the one before (bench/serve_submits.py). The sum a transaction reads holds
its own bumps and the committed ones, so the history limit may be passed by
the submits in flight at that moment, until the next write prunes them.
"""

from __future__ import annotations

import random

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection

from onepiece.state.db import schema
from onepiece.state.db.sql import for_transaction, in_transaction, insert_new

SHARDS = 8


_SHARD = "onepiece.counter_shard"  # for_transaction: the shard it bumps


def pick_shard(connection: Connection) -> int:
    """The shard this transaction bumps: one for all its writes. A grouped
    transaction (group_commit.py) holds many submits; bumping a shard each,
    two of them could lock rows in opposite orders on PostgreSQL (a deadlock)."""
    shard = in_transaction(connection, _SHARD)
    if shard is None:
        shard = random.randrange(SHARDS)
        for_transaction(connection, _SHARD, shard)
    return int(shard)


class ShardedCounters:
    def __init__(self) -> None:
        counters = schema.counters
        self._bump = (
            update(counters)
            .where(counters.c.name == bindparam("counter"))
            .values(value=counters.c.value + bindparam("delta"))
        )
        # One parameter per row (the base and each shard): a fixed IN list, where an
        # expanding one is rebuilt on every read (and a submit reads the size once).
        self._sum = select(func.coalesce(func.sum(counters.c.value), 0)).where(
            counters.c.name.in_([bindparam(f"row{i}") for i in range(SHARDS + 1)])
        )

    @staticmethod
    def create(connection: Connection, name: str, value: int) -> None:
        """The base row (``value`` if it is new) and its shards, those missing only."""
        insert_new(connection, schema.counters, {"name": name, "value": value}, ["name"])
        for shard in range(SHARDS):
            row = {"name": f"{name}.{shard}", "value": 0}
            insert_new(connection, schema.counters, row, ["name"])

    def bump(self, connection: Connection, name: str, delta: int, shard: int) -> None:
        if delta:
            connection.execute(self._bump, {"counter": f"{name}.{shard}", "delta": delta})

    def read(self, connection: Connection, name: str) -> int:
        names = [name, *(f"{name}.{shard}" for shard in range(SHARDS))]
        rows = {f"row{i}": row for i, row in enumerate(names)}
        return int(connection.scalar(self._sum, rows) or 0)
