"""The certificate's signer: name, role and a signature image, kept in the operator settings.

The image is checked by its content, not its name: a PNG or JPEG that Pillow can read,
at most ``MAX_BYTES``, of a size that prints as a signature.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from eventapp.admin.audit import record
from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.legal import settings
from eventapp.models import OperatorSettings, User
from eventapp.models.legal import OPERATOR_SETTINGS_ID

MAX_BYTES = 500 * 1024
MIN_SIZE = (60, 20)
MAX_SIZE = (3000, 1500)
TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))


@dataclass(frozen=True)
class Signer:
    """What the certificate prints under the signature (empty: not set)."""

    name: str
    role: str
    image: bytes | None
    image_type: str | None


def signer() -> Signer:
    row = settings.stored_settings()
    if row is None:
        return Signer("", "", None, None)
    return Signer(
        row.certificate_signer_name or "",
        row.certificate_signer_role or "",
        row.certificate_signature,
        row.certificate_signature_type,
    )


def preview_src() -> str | None:
    """The stored image as a ``data:`` URL for the settings page's preview (the page's
    Content-Security-Policy allows them), or None without one."""
    current = signer()
    if not current.image or current.image_type not in TYPES.values():
        return None
    return f"data:{current.image_type};base64," + base64.b64encode(current.image).decode()


def checked_image(data: bytes) -> str:
    """The MIME type of ``data`` if it is an acceptable signature image, else InvalidInput."""
    field = "signature"
    if not data:
        raise InvalidInput(_("Please choose an image file."), field=field)
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _("The image is too large: at most %(size)d KB, please.", size=MAX_BYTES // 1024),
            field=field,
        )
    claimed = next((kind for magic, kind in MAGIC if data.startswith(magic)), None)
    not_an_image = _("Please upload the signature as a PNG or JPEG image.")
    if claimed is None:
        raise InvalidInput(not_an_image, field=field)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.load()  # a truncated or corrupt file fails here, not in the PDF
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(not_an_image, field=field) from exc
    if kind != claimed:
        raise InvalidInput(not_an_image, field=field)
    too_small = size[0] < MIN_SIZE[0] or size[1] < MIN_SIZE[1]
    too_large = size[0] > MAX_SIZE[0] or size[1] > MAX_SIZE[1]
    if too_small or too_large:
        raise InvalidInput(
            _(
                "The image should be between %(min_w)d×%(min_h)d and %(max_w)d×%(max_h)d "
                "pixels; this one has %(w)d×%(h)d.",
                min_w=MIN_SIZE[0],
                min_h=MIN_SIZE[1],
                max_w=MAX_SIZE[0],
                max_h=MAX_SIZE[1],
                w=size[0],
                h=size[1],
            ),
            field=field,
        )
    return TYPES[kind]


def _row() -> OperatorSettings:
    row = settings.stored_settings()
    if row is None:
        row = OperatorSettings(id=OPERATOR_SETTINGS_ID)
        db.session.add(row)
        db.session.flush()
    return row


def _described(row: OperatorSettings) -> dict[str, Any]:
    """The signer as the audit log keeps it: the image by type and size, not its bytes."""
    image = row.certificate_signature
    return {
        "certificate_signer_name": row.certificate_signer_name,
        "certificate_signer_role": row.certificate_signer_role,
        "certificate_signature": (
            f"{row.certificate_signature_type}, {len(image)} bytes" if image else None
        ),
    }


def save_signer(name: str, role: str, image: bytes | None, user: User | None) -> None:
    """Store the signer; ``image`` None keeps the current one. Audited."""
    image_type = checked_image(image) if image is not None else None
    row = _row()
    before = _described(row)
    row.certificate_signer_name = name.strip() or None
    row.certificate_signer_role = role.strip() or None
    if image is not None:
        row.certificate_signature = image
        row.certificate_signature_type = image_type
    db.session.flush()
    record(user, "operator_settings.certificate", row, before, _described(row))
    settings.forget_cached()


def remove_image(user: User | None) -> None:
    """Take the signature image away (the certificate then prints the name alone)."""
    row = _row()
    before = _described(row)
    row.certificate_signature = None
    row.certificate_signature_type = None
    db.session.flush()
    record(user, "operator_settings.certificate", row, before, _described(row))
