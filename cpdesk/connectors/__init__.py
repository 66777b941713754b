"""Everything that touches the outside world: SFTP facilities, the archive and ledger, key files.

The engine never imports this package; this package never imports the fronts (``tui``,
``excel_addin``).
"""
