"""The chapter 5 data server: shards with per-block checksums (book §4.5)."""
