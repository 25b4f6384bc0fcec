"""REDCap projects: import a records export and data dictionary into the contract format.

See :mod:`rfa_dash.ingest.redcap.importer` (REDCap -> contract) and
:mod:`rfa_dash.ingest.redcap.generate` (contract -> REDCap, for the synthetic sample).
"""
