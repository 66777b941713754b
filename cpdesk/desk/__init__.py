"""The service layer every front calls (the Desk)."""
