"""The Merkle code against RFC 9162's definitions, the RFC 6962 reference roots and every
transparency-dev vector (copied into ``tests/vectors/tlog`` with their licence)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from registry.audit import merkle
from registry.audit.merkle import (
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_of,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "tlog" / "testdata"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))

# RFC 6962's eight test leaves and its reference roots (transparency-dev merkle testonly).
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
REFERENCE_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    return [b64(p) for p in vector["proof"] or []]


@pytest.mark.parametrize("path", INCLUSION, ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    verify = lambda: verify_inclusion(
        v["leafIdx"], v["treeSize"], b64(v["leafHash"]), proof_of(v), b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    verify = lambda: verify_consistency(
        v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]), proof_of(v))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


def test_there_are_vectors_of_both_kinds() -> None:
    assert len(INCLUSION) > 50 and len(CONSISTENCY) > 50


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_reference_roots(size: int) -> None:
    assert root_of(leaf_hash(d) for d in LEAVES[:size]).hex() == REFERENCE_ROOTS[size - 1]


def test_the_empty_tree_hashes_the_empty_string() -> None:
    assert root_of([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


# -- our stored-node algorithms against the RFC's recursive definitions ------------------------


def mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def stored_tree(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    nodes: dict[tuple[int, int], bytes] = {}
    compact = CompactRange()
    for leaf in leaves:
        for level, idx, value in compact.append(leaf):
            nodes[(level, idx)] = value
    return nodes


def test_stored_nodes_give_the_rfc_roots_and_proofs() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(70)]
    nodes = stored_tree(leaves)
    fetch = lambda keys: {k: nodes[k] for k in keys}
    for n in range(1, len(leaves) + 1):
        expected = mth(leaves[:n])
        assert root(n, fetch) == expected
        for m in range(n):
            proof = inclusion_proof(m, n, fetch)
            assert proof == path(m, leaves[:n])
            verify_inclusion(m, n, leaves[m], proof, expected)
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, fetch)
            assert proof == subproof(m, leaves[:n], True)
            verify_consistency(m, n, mth(leaves[:m]), expected, proof)


def test_a_compact_range_resumes_from_its_frontier() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(37)]
    nodes = stored_tree(leaves[:21])
    resumed = CompactRange(21, [nodes[n] for n in merkle.frontier(21)])
    for leaf in leaves[21:]:
        resumed.append(leaf)
    assert resumed.root() == mth(leaves)


def test_proofs_for_impossible_positions_are_refused() -> None:
    fetch = lambda keys: {}
    with pytest.raises(ProofError):
        inclusion_proof(5, 5, fetch)
    with pytest.raises(ProofError):
        consistency_proof(0, 5, fetch)
    with pytest.raises(ProofError):
        consistency_proof(6, 5, fetch)
