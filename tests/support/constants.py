"""The test app: one spelling of its constants for every test."""

from __future__ import annotations

SDKAPPID = 1400000000
SECRET = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
ADMIN = "administrator"
GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
OTHER_GROUP = "@TGS#_@TGS#cBZXAIIM62CV"
PLAIN_GROUP = "@TGS#_@TGS#cNOTOPICS01"
"""A group whose topic commands get 11000 (no topic feature)."""
