"""Kept for tui's imports; the one masker is common.masking."""
from common.masking import MASK, is_secret_name, mask_secrets, secret_values  # noqa: F401
