"""The attack documents of issue 10 (used by ``test_dos.py`` and ``bench/query_limits.py``)."""

from __future__ import annotations


def fragment_chain(levels: int = 40) -> str:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ logVerifierKey }}"


def many_aliases(count: int = 48_000) -> str:
    return "query {" + " ".join(f"a{i}: logVerifierKey" for i in range(count)) + "}"


def nested_enrollments(levels: int = 3, aliases: int = 30) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"enrollments {{ nodes {{ learner {{ {inner} }} }} }}"
    return "query { me { " + " ".join(f"e{i}: {inner}" for i in range(aliases)) + " } }"
