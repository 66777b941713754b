"""The ``cpdesk`` command line: one module per command, each parsing its arguments, calling one
:class:`cpdesk.desk.Desk` method and rendering what it returns."""
