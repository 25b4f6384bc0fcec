"""Pure estimators on arrays and counts, with no export, SQL or role in sight.

Checked against an independent reference (R's ``survival`` and ``cmprsk``;
scipy for intervals): see ``tests/reference``.
"""
