"""RFC 9162 Merkle trees (§2.1): hashes, streaming roots, proofs and their verification.

Storage model: a *node* ``(level, idx)`` is the hash of the perfect subtree over leaves
``[idx << level, (idx + 1) << level)``; level 0 holds the leaf hashes. Every range that RFC
9162's recursions visit starts at a multiple of a power of two at least its length, so its hash
is the right fold of at most ``log2 n`` stored nodes: roots and proofs need ``O(log² n)`` node
reads and no rehashing of the tree. Proof generation first lists the nodes it needs, so a store
can fetch them in one query.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 exactly (checked against the
transparency-dev vectors in ``tests/vectors/tlog``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, idx)
Range = tuple[int, int]  # [start, end)

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


class ProofError(ValueError):
    """A proof that does not verify, or a request for one that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


# -- ranges and the stored nodes they are made of --------------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees whose right fold is MTH(D[start:end]), left to right."""
    nodes: list[Node] = []
    position, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        if position % (1 << level):
            raise ValueError(f"range [{start}, {end}) is not aligned")
        nodes.append((level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of perfect-subtree hashes (left to right) into one range hash."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def frontier(size: int) -> list[Node]:
    """The perfect subtrees of a tree of ``size`` leaves (its compact range)."""
    return range_nodes(0, size)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes are PATH(index, D[size]), in proof order (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose hashes are PROOF(old, D[new]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    ranges: list[Range] = []
    start, end, m, complete = 0, new, old, True
    while True:
        size = end - start
        if m == size:
            if not complete:
                ranges.append((start, end))
            break
        k = _split(size)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    ranges.reverse()
    return ranges


NodeFetcher = Callable[[Iterable[Node]], Mapping[Node, bytes]]


def hash_ranges(ranges: Sequence[Range], fetch: NodeFetcher) -> list[bytes]:
    """The hashes of ``ranges``, reading every stored node they need in one ``fetch``."""
    wanted = [range_nodes(a, b) for a, b in ranges]
    found = fetch({node for nodes in wanted for node in nodes})
    try:
        return [fold([found[node] for node in nodes]) for nodes in wanted]
    except KeyError as missing:
        raise LookupError(f"the tree has no stored node {missing.args[0]}") from None


def root(size: int, fetch: NodeFetcher) -> bytes:
    return hash_ranges([(0, size)], fetch)[0] if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, fetch: NodeFetcher) -> list[bytes]:
    return hash_ranges(inclusion_ranges(index, size), fetch)


def consistency_proof(old: int, new: int, fetch: NodeFetcher) -> list[bytes]:
    return [] if old == new else hash_ranges(consistency_ranges(old, new), fetch)


# -- streaming ---------------------------------------------------------------------------------


class CompactRange:
    """The right edge of a growing tree: append leaf hashes, read the root at any moment.

    ``append`` returns the nodes it completes (the leaf itself first), so a store can keep
    every node while hashing each one exactly once."""

    __slots__ = ("_hashes", "_levels", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        nodes = frontier(size)
        if len(nodes) != len(hashes):
            raise ValueError(f"a tree of {size} leaves has {len(nodes)} frontier nodes")
        self.size = size
        self._levels = [level for level, _ in nodes]
        self._hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        index = self.size
        made = [(0, index, leaf)]
        levels, hashes = self._levels, self._hashes
        level, value = 0, leaf
        while levels and levels[-1] == level:
            levels.pop()
            value = node_hash(hashes.pop(), value)
            level += 1
            made.append((level, index >> level, value))
        levels.append(level)
        hashes.append(value)
        self.size = index + 1
        return made

    def push(self, leaf: bytes) -> None:
        """``append`` without reporting the new nodes (the fast path of verification)."""
        levels, hashes = self._levels, self._hashes
        level, value = 0, leaf
        while levels and levels[-1] == level:
            levels.pop()
            value = node_hash(hashes.pop(), value)
            level += 1
        levels.append(level)
        hashes.append(value)
        self.size += 1

    def root(self) -> bytes:
        return fold(self._hashes)

    def copy(self) -> CompactRange:
        clone = CompactRange.__new__(CompactRange)
        clone.size, clone._levels, clone._hashes = self.size, list(self._levels), list(self._hashes)
        return clone


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH of leaf hashes, streaming."""
    compact = CompactRange()
    for leaf in leaves:
        compact.push(leaf)
    return compact.root()


# -- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------------------


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     expected_root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows leaf ``index`` in the tree."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size}")
    if len(leaf) != HASH_SIZE or len(expected_root) != HASH_SIZE:
        raise ProofError(f"a leaf hash and a root are {HASH_SIZE} bytes")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if result != expected_root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows tree ``old`` is a prefix of ``new``."""
    if old < 1:
        raise ProofError("every tree extends the empty tree: nothing to prove")
    if old > new:
        raise ProofError(f"the old size {old} is larger than the new size {new}")
    if old == new:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("equal sizes but different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root:
        raise ProofError("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("the consistency proof does not lead to the new root")
