"""Notifier service: account-flow e-mail over SMTP (in-app notifications come later)."""
