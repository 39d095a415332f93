"""Libraries shared by chapter 2's api and data servers (the book's ``src/lib``)."""
