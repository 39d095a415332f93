"""Headers of chapter 6's temp protocol, shared by the data servers that answer them and the api
servers that send them (a neutral module: a data server imports nothing of the api side)."""

VERSION = "Temp-Version"            # a temp's version: HEAD, GET and PATCH answer it; a commit may name it
BEFORE = "Temp-Version-Before"      # a PATCH's answer: the version the temp had before that PATCH
