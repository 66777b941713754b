"""Large Open Position (LOP) reports: the schema, templates, validation and result files."""
