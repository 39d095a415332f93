"""Libraries new in chapter 7: download encodings, packed objects, versions that know their form."""
