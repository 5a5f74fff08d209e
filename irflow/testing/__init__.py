"""Test helpers: personas, cases in known states, example requests for the API walk, a running-
service helper."""
