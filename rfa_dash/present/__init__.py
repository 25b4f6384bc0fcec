"""Labels, colours and number formats shared by pages, charts, the report and the CLI."""
