"""Libraries new in chapter 7: content negotiation of the download encoding."""
