"""cpdesk: the desk toolkit for Hong Kong clearing participants."""

__version__ = "0.1.0"
