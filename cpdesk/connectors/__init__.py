"""Everything that touches the outside world, in two rooms that do not import each other:
:mod:`~cpdesk.connectors.sftp` (facility connections) and :mod:`~cpdesk.connectors.store` (local
files and the ledger). :mod:`cpdesk.connectors.errors` is their shared exception tree.
"""
