"""Follow-up tasks (clinic, imaging, calls, skin checks) with their owner and due window, from the
catalogue's rules and the dose alerts."""
