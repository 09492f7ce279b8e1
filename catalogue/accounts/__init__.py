"""Users, roles, API tokens and the audit log: who may do what, and who did what."""
