"""The web shell every page shares: the base layout, navigation, form glue (refusals shown beside
fields), the sign-in dialog's client, read-only admin, the calm 503 while the database is away."""
