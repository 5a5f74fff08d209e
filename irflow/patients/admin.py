# Patients are edited through irflow's own pages (permission-checked, access-logged), not
# through the Django admin.
