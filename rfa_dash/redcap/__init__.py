"""REDCap projects: import a records export and data dictionary into the contract format.

See :mod:`rfa_dash.redcap.importer` (REDCap -> contract) and
:mod:`rfa_dash.redcap.generate` (contract -> REDCap, for the synthetic sample).
"""
