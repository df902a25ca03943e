"""Generic runtime shared by every Hataraku service: settings, logging, database and broker
wiring, the transactional outbox and its relay, idempotent consumers, token verification and
problem+json errors. No service's domain code lives here."""
