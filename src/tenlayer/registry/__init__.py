"""The guarded registry: a token service for the CNCF distribution registry, identities and
Harbor's roles, scan on push and a gate that refuses pulls of vulnerable or unsigned images.

- keys.py: EC P-256 token keys, libtrust key ids, the key ring (rotation: pending, retired);
- tokens.py: issue_token and verify_token (tenlayer's own verifier; one error per refusal);
- access.py: Harbor's roles, scopes, the granted intersection (pure);
- passwords.py: scrypt hashes, constant-time checks;
- models.py, store.py: the SQLAlchemy tables and the repository layer over them;
- throttle.py: exponential back-off of failed logins per account and per client;
- config.py: `serve --config FILE`, read strictly;
- service.py: logins, grants and tokens without HTTP; server.py, api.py, web.py: Starlette;
- front/: the pull gate in front of the registry.
"""
