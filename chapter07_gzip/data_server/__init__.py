"""The chapter 7 data server: shards compressed at rest (book §4.7)."""
