"""What every command and web request needs: the config, the database, the signing key."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sqlite_utils

from . import db as dbmod
from .config import Config


@dataclass
class Runtime:
    config: Config
    _db: sqlite_utils.Database | None = field(default=None, repr=False)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = dbmod.connect(self.config.database_path)
        return self._db

    @cached_property
    def key(self) -> bytes:
        return self.config.secret_key()

    def close(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None
