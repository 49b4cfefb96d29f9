"""Kept for tui's imports; the one masker is common.masking (mask_url is mask_secrets)."""
from common.masking import MASK, mask_credentials, mask_dsn, mask_url  # noqa: F401
