"""Status-list slots: where each credential's revocation bit lives (SPEC §11, Bitstring Status
List v1.0).

Each certificate gets, at issuance, one slot: a list number and an index drawn at random within
that list, so that a list fetched by a verifier does not tell which certificate is being checked
(herd privacy) nor in what order certificates were issued. A :class:`StatusSlot` aggregate per
slot, saved with the certificate in one transaction, keeps slots unique even when two
issuances race for one. When a random draw keeps landing on taken slots the list is nearly
full, and the next list is used.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

#: Entries per list: the Bitstring Status List minimum (16 KiB of bits), for herd privacy.
LIST_SIZE = 131_072
#: Draws within one list before moving on to the next (≈ 1 in 10⁹ to skip a 50 %-full list).
DRAWS_PER_LIST = 30


class StatusSlot(Aggregate):
    @staticmethod
    def create_id(status_list: int, index: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/status-lists/{status_list}/{index}")

    @event("Claimed")
    def __init__(self, *, status_list: int, index: int, number: str) -> None:
        self.status_list = status_list
        self.index = index
        self.number = number


def free_slot(taken: Callable[[int, int], bool], draw: Callable[[int], int]) -> tuple[int, int]:
    """A (list, index) no certificate holds: ``draw(n)`` is a CSPRNG's ``randbelow``."""
    status_list = 1
    while True:
        for _ in range(DRAWS_PER_LIST):
            index = draw(LIST_SIZE)
            if not taken(status_list, index):
                return status_list, index
        status_list += 1

