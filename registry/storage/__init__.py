"""Storage back-ends: SQLite (embedded default) and PostgreSQL (scale). What differs between
them is one :class:`~registry.storage.backend.Backend` object, chosen once in
``bootstrap.py``; the rest of the registry sees the abstract stores."""
