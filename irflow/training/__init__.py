"""Trainee logbooks: an entry for each trainee in a completed procedure's team (first operator
or assistant), verified by the supervisor; counts against the trainee's programme (EBIR shipped,
others configurable); PDF/CSV export; per-operator practice evaluation figures."""
