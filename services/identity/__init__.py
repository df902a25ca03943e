"""Identity service: accounts, credentials, auth keys, My Page opening, login and tokens (JWKS),
seeker registrations, employer establishments, staff."""
