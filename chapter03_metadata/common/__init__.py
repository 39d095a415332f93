"""Libraries new in chapter 3: the metadata client and the hash helpers."""
