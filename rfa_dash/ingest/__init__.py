"""From a folder to a staged, validated analysis database.

``export.open_export`` is the entry point: ``loader`` reads each table file
(CSV, Parquet, Excel) into Arrow text, ``validate`` types and checks it into
staging tables and collects ``problems``, ``cache`` keeps a validated load as
Parquet, and ``redcap`` turns a REDCap project export into a contract export.
"""
