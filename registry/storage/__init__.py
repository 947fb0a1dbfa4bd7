"""Storage back-ends: SQLite (embedded default) and PostgreSQL (scale). Everything that
differs between them lives here; the rest of the registry sees only the abstract
:class:`~registry.application.personal.PersonalStore` and
:class:`~registry.projections.view.RegistryView`."""
