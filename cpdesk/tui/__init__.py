"""The Textual operations dashboard (to come): a front on :class:`cpdesk.desk.Desk`."""
