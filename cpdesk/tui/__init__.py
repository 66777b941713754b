"""The terminal front: the ``cpdesk`` command line and (later) the Textual dashboard."""
