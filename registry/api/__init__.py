"""The GraphQL API: strawberry types over read-model documents, and mutations that translate
input into service calls. No rule of the regulation is decided here."""
