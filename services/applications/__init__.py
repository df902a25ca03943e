"""Applications service: online referral and self-application, referral letters, direct requests."""
