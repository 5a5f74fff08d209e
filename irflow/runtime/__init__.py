"""`irflow up`, `irflow web`, `irflow worker`, `irflow docs`: the processes, their supervisor, and
the generated parts of docs/."""
