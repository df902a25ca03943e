"""Messaging service: conversations, messages, read state, notices from the office."""
