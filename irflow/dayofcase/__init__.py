"""The day of the case: the layer that composes the record apps into the patient's day.

Check-in → sign-in → into the room → time-out → the procedure → sign-out → recovery →
discharge, with the rules that protect the patient on the way (`guards`), enforced by the
services here so that every entry point obeys them; the Today board and the procedure page.
The record apps below (scheduling, readiness, checklists, procedures, recovery, …) keep their
data and import nothing from here.
"""
