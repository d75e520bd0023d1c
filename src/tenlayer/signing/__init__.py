"""Image signatures in cosign's formats: keys, simple-signing payloads, sign and verify."""
