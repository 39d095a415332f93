"""The chapter 6 data server: temp objects that can be inspected, resumed and swept (book §4.6)."""
