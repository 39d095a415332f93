"""Libraries new in chapter 6: upload tokens, resumable uploads, temp version headers, byte ranges."""
