"""Checks of a built image: its config (user, env, labels, history) and its layer files."""
