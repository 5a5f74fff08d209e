"""`irflow up`, `irflow web`, `irflow worker`, `irflow docs`: the processes, their supervisor
(which keeps web up and restarts a failing part with backoff), the worker's heartbeat and its
sweep for tasks whose worker died, `/health`, and the generated parts of docs/."""
