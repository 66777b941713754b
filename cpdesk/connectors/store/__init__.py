"""What cpdesk keeps locally: the SQLite ledger, the archive, key files, finished files and the run
lock. Never imports :mod:`cpdesk.connectors.sftp`."""
