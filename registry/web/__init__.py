"""The Starlette application: GraphQL, the verification page and API, keys, QR, health."""
