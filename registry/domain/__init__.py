"""The regulation's rules, pure: this package imports only the standard library and
``eventsourcing.domain``. Nothing here knows about GraphQL, HTTP or storage."""
