"""Chapter 5: erasure coding (Reed-Solomon 4+2)."""
