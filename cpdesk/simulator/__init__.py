"""A simulated HKEX facility (asyncssh, on loopback) and an OpenSSH sshd helper.

Used by the command line (``cpdesk facility serve``, ``cpdesk demo``), tests and benchmarks only:
no other part of cpdesk imports it (import-linter holds this).
"""
