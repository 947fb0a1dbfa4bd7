"""The log as C2SP ``tlog-tiles`` (v0.1): Merkle tiles and entry bundles, from stored nodes.

A tile at level ``L`` with index ``N`` holds up to 256 consecutive hashes of level ``8·L`` of
the tree (``MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L])``): exactly the nodes
``(8·L, N·256 + i)`` the log already stores (``view.py``: every complete subtree is kept), so a
tile is one range read of one level and no hashing. An entry bundle holds the envelopes of the
leaves a level-0 tile covers, each as its canonical bytes with a big-endian uint16 length
first.

Paths (relative to ``<prefix>/tile/``): ``<L>/<N>[.p/<W>]`` and ``entries/<N>[.p/<W>]``, with
``N`` in 3-digit groups, all but the last prefixed by ``x`` (``1234067`` → ``x001/x234/067``).
Only the canonical spelling of a path names a tile. A tile is served when the latest signed
checkpoint covers it: a full tile once the tree holds all of it (it never changes again), a
partial tile of width ``W`` once the tree holds its first ``W`` hashes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HEIGHT = 8
WIDTH = 1 << HEIGHT  # 256 hashes in a full tile
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF  # an entry's length is a uint16

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_GROUP = re.compile(r"[0-9]{3}")

#: (tree level, first index, count) → the stored node hashes of that level, in index order
LevelReader = Callable[[int, int, int], Sequence[bytes]]
#: (first leaf, count) → the leaves' envelope bytes, in index order
EntryReader = Callable[[int, int], Sequence[bytes]]


class TileError(ValueError):
    """A path that names no tile (a malformed or non-canonical spelling)."""


class EntryTooLong(ValueError):
    """An envelope longer than an entry bundle's uint16 length can say."""


@dataclass(frozen=True)
class Tile:
    level: int | None  # None: the entry bundle over level-0 tile ``index``
    index: int
    width: int = WIDTH

    @property
    def partial(self) -> bool:
        return self.width < WIDTH

    @property
    def entries(self) -> bool:
        return self.level is None

    def path(self) -> str:
        head = "entries" if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"tile/{head}/{encode_index(self.index)}{tail}"

    def covered_by(self, size: int) -> bool:
        """Whether a tree of ``size`` leaves has this tile (full or at this partial width):
        it holds ``size >> 8·L`` hashes of the tile's level, and the tile needs its first
        ``index·256 + width``."""
        return self.index * WIDTH + self.width <= size >> (HEIGHT * (self.level or 0))


def encode_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067`` (tlog-tiles' path encoding of a tile index)."""
    if index < 0:
        raise ValueError("a tile index is not negative")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_path(path: str) -> Tile:
    """The tile a path under ``<prefix>/tile/`` names; :class:`TileError` if none."""
    parts = path.split("/")
    if len(parts) < 2:
        raise TileError("a tile path is <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")
    head, rest = parts[0], parts[1:]
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= WIDTH:
            raise TileError("a partial tile's width is 1 to 255, with no leading zeros")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    *upper, last = rest
    if not _GROUP.fullmatch(last) or not all(
            g.startswith("x") and _GROUP.fullmatch(g[1:]) for g in upper):
        raise TileError("a tile index is 3-digit groups, all but the last starting with 'x'")
    index = 0
    for group in [*(g[1:] for g in upper), last]:
        index = index * 1000 + int(group)
    if head == "entries":
        level: int | None = None
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise TileError("a tile level is 0 to 63, with no leading zeros, or 'entries'")
    tile = Tile(level, index, width)
    if tile.path() != f"tile/{path}":
        raise TileError(f"not the canonical path of the tile; it is <prefix>/{tile.path()}")
    return tile


def tile_bytes(tile: Tile, read_level: LevelReader) -> bytes:
    """A hash tile's bytes: its ``width`` hashes, 32 bytes each, concatenated."""
    assert tile.level is not None
    first = tile.index * WIDTH
    hashes = read_level(HEIGHT * tile.level, first, tile.width)
    if len(hashes) != tile.width:
        raise LookupError(f"the tree lacks stored nodes of level {HEIGHT * tile.level} from "
                          f"{first} ({len(hashes)} of {tile.width})")
    return b"".join(hashes)


def bundle_bytes(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry with its big-endian uint16 length first."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise EntryTooLong(f"an entry of {len(entry)} bytes does not fit a bundle "
                               f"(at most {MAX_ENTRY})")
        out += struct.pack(">H", len(entry))
        out += entry
    return bytes(out)


def entry_bundle(tile: Tile, read_entries: EntryReader) -> bytes:
    """The bundle of the leaves a level-0 tile covers."""
    first = tile.index * WIDTH
    entries = read_entries(first, tile.width)
    if len(entries) != tile.width:
        raise LookupError(f"the log lacks leaves from {first} ({len(entries)} of {tile.width})")
    return bundle_bytes(entries)


def tile_content(tile: Tile, signed_size: int, read_level: LevelReader,
                 read_entries: EntryReader) -> bytes | None:
    """The bytes of ``tile`` if the tree of the latest signed checkpoint (``signed_size``
    leaves) holds it, else ``None``."""
    if not tile.covered_by(signed_size):
        return None
    if tile.entries:
        return entry_bundle(tile, read_entries)
    return tile_bytes(tile, read_level)
