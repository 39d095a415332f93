"""The chapter 4 data server: temp objects and content-addressed objects (book §4.4)."""
