"""xlwings user-defined functions: thin adapters from Excel ranges to the engine."""
