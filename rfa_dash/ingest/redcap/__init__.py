"""REDCap projects: import a records export and data dictionary into the contract format.

See :mod:`rfa_dash.ingest.redcap.importer` (REDCap -> contract) and
:mod:`rfa_dash.ingest.redcap.generate` (contract -> REDCap, for the synthetic sample).
"""

import csv

# A REDCap cell has no size limit: descriptive fields hold pasted HTML (consent and
# instruction pages) far beyond the 131,072 characters Python's CSV reader stops at by
# default, and every reader of REDCap files here must take them. The limit is the
# process's (the csv module has no other).
csv.field_size_limit(2**31 - 1)
