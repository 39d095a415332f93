"""Shared libraries new in chapter 5: the Reed-Solomon codec (rs)."""
