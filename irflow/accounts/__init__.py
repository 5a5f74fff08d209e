"""Users, roles and the one permission matrix; credentials, privileges per procedure category, API
tokens, sign-in with lockout and a second factor."""
