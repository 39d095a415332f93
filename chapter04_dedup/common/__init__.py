"""Libraries new in chapter 4: the api side of the temp-object protocol."""
