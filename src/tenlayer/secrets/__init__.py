"""Recognising credentials: in variable names and values (`env`), and in file contents."""
