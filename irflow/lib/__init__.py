"""The small shared library: errors every entry point renders, the state-machine helper, history
attribution and the request origin, Django choices from the core's vocabularies, generated docs."""
