"""Pure logic: parsers at the edges, immutable inputs, stateless calculators.

Nothing here touches the network, a user interface or global state; the import-linter
contracts in ``pyproject.toml`` keep ``connectors``, ``tui``, ``excel_addin``, textual,
xlwings and paramiko out.
"""
