"""The signed revocation snapshot (SPEC §11): a compact JWS, signed like the certificate
tokens with the registry's active Ed25519 key, whose payload is the snapshot
(:class:`registry.domain.revocations.Snapshot`) as compact UTF-8 JSON.

Header ``{"alg": "Ed25519", "kid": …, "typ": "det-revocations+json"}``: the ``typ`` keeps a
snapshot from ever being taken for a certificate token (whose header is exactly ``alg`` and
``kid``) and the other way round. Any JOSE library checks it with the published JWKS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from ..domain.revocations import BadSnapshot, Snapshot
from .keys import SigningKey
from .tokens import ALGORITHM, InvalidToken, _b64url_decode, _find_jwk, _json_object

__all__ = ["MEDIA_TYPE", "TYPE", "InvalidSnapshot", "sign_snapshot", "verify_snapshot"]

TYPE = "det-revocations+json"
MEDIA_TYPE = "application/jose"
MAX_SNAPSHOT_LENGTH = 64 * 1024 * 1024


class InvalidSnapshot(Exception):
    """The file is not a revocations snapshot the registry's keys signed; ``str`` says why."""


def sign_snapshot(snapshot: Snapshot, key: SigningKey) -> str:
    payload = json.dumps(snapshot.as_dict(), ensure_ascii=False, separators=(",", ":"))
    return jws.serialize_compact({"alg": ALGORITHM, "kid": key.kid, "typ": TYPE},
                                 payload.encode("utf-8"), OKPKey.import_key(key.private_key),
                                 algorithms=[ALGORITHM])


def verify_snapshot(text: str, jwks: Mapping[str, Any]) -> tuple[Snapshot, str]:
    """The snapshot in ``text`` and the ``kid`` that signed it, or :class:`InvalidSnapshot`
    (not a compact JWS, another header, a key not in ``jwks``, a signature that does not
    verify, or a payload not in the format)."""
    text = text.strip()
    if len(text) > MAX_SNAPSHOT_LENGTH or text.count(".") != 2:
        raise InvalidSnapshot("it is not a compact JWS (three dot-separated parts)")
    try:
        header = _json_object(_b64url_decode(text.split(".", 1)[0]), "header")
        if header != {"alg": ALGORITHM, "kid": header.get("kid"), "typ": TYPE} or not isinstance(
                header.get("kid"), str):
            raise InvalidSnapshot(f'its header is not {{"alg": "{ALGORITHM}", "kid": …, '
                                  f'"typ": "{TYPE}"}}')
        kid = header["kid"]
        verified = jws.deserialize_compact(text, OKPKey.import_key(_find_jwk(dict(jwks), kid)),
                                           algorithms=[ALGORITHM])
        return Snapshot.from_dict(_json_object(verified.payload, "payload")), kid
    except InvalidToken as invalid:
        raise InvalidSnapshot(str(invalid).replace("the token", "the snapshot")) from None
    except JoseError as error:
        raise InvalidSnapshot(f"its signature does not verify ({error.error})") from None
    except (BadSnapshot, ValueError, TypeError) as error:
        raise InvalidSnapshot(str(error)) from None
