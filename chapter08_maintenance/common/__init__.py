"""Libraries new in chapter 8: the maintenance queries and the tools' common frame."""
