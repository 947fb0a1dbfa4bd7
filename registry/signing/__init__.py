"""Certificate signing: Ed25519 keys, the compact-JWS certificate token and its QR code.

See SPEC §5. Nothing here knows about events or HTTP: the registry records which key is active
and when (``registry.domain.keys``), signs with ``KeyStore.get(kid)``, publishes the public keys
with their windows, and checks tokens with ``verify_token``.
"""

from .keys import KeyStore, KeyStoreError, SigningKey, key_id
from .qr import qr_png, qr_svg, qr_version
from .tokens import CertificateClaims, InvalidToken, sign_certificate, verify_token

__all__ = [
    "CertificateClaims",
    "InvalidToken",
    "KeyStore",
    "KeyStoreError",
    "SigningKey",
    "key_id",
    "qr_png",
    "qr_svg",
    "qr_version",
    "sign_certificate",
    "verify_token",
]
