"""Libraries new in chapter 6: upload tokens, resumable uploads, byte ranges."""
