"""Every type, field, argument and enum value of the schema has a description (issue 12 §6),
and GraphiQL and introspection over HTTP show them to a frontend developer."""

from __future__ import annotations

from apiclient import Api
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_introspection_query,
)

from registry.api.schema import schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(graphql_schema: GraphQLSchema) -> list[str]:
    """What of ours has no description, named as `Type`, `Type.field`, `Type.field(arg)`
    and `Enum.VALUE` (built-in scalars and the introspection types excepted)."""
    missing: list[str] = []

    def need(text: str | None, what: str) -> None:
        if not (text and text.strip()):
            missing.append(what)

    for name, named in sorted(graphql_schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN:
            continue
        need(named.description, name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                need(field.description, f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    need(arg.description, f"{name}.{field_name}({arg_name})")
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                need(input_field.description, f"{name}.{field_name}")
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                need(value.description, f"{name}.{value_name}")
    return missing


def test_everything_of_ours_in_the_schema_has_a_description() -> None:
    missing = undescribed(schema._schema)
    assert not missing, f"{len(missing)} without a description: {', '.join(missing)}"


def test_the_walk_finds_what_has_no_description() -> None:
    from graphql import build_schema

    bare = build_schema('''
        "Described." type Query { "Described." a(x: Int): Kind b: Int }
        "Described." enum Kind { "Described." ONE TWO }
    ''')
    assert undescribed(bare) == ["Kind.TWO", "Query.a(x)", "Query.b"]


def test_graphiql_is_served_for_a_browser(api: Api) -> None:
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()


def test_introspection_over_http_returns_the_descriptions(api: Api) -> None:
    # The query GraphiQL's documentation explorer sends.
    body = api(get_introspection_query(descriptions=True, specified_by_url=True,
                                       directive_is_repeatable=True, schema_description=True,
                                       input_value_deprecation=True))
    assert "errors" not in body, body
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    ours = schema._schema.type_map
    for name in ("Query", "Certificate", "Enrollment", "CertificateStatus", "AsOfInput"):
        named: GraphQLNamedType = ours[name]
        assert types[name]["description"] == named.description
    certificates = next(f for f in types["Query"]["fields"] if f["name"] == "certificates")
    assert certificates["description"]
    assert all(arg["description"] for arg in certificates["args"]), certificates["args"]
    status = {v["name"]: v["description"] for v in types["CertificateStatus"]["enumValues"]}
    assert all(status.values()) and set(status) == {"ACTIVE", "REVOKED", "SUPERSEDED"}
    fields = {f["name"]: f["description"] for f in types["Enrollment"]["fields"]}
    assert all(fields.values()), fields
