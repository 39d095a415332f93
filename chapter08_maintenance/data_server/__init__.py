"""The chapter 8 data server: chapter 7's plus ``DELETE /objects/<key>`` (book §4.8)."""
