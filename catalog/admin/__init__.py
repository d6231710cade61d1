"""Admin for support staff over the master records of every company.

Every write goes through `catalog/services.py`, like every other write path, so the
sharing engine sees (and may refuse) what support staff do here:

- Saving runs the service once, in `save_related()`, when the main form *and* the inlines
  (the product's structure, a price table's items) are valid and known. The service's
  refusal (ValidationError, WriteRefused, StaleEdit) rolls the admin's transaction back
  and the same submission is rendered again with the refusal as form errors (see
  `ServiceWriteAdmin.changeform_view`): nothing is written and nothing is lost.
- An edit carries the version the form was loaded with (`expected_version`, hidden), so
  an edit made on a stale page is refused with the current values instead of
  overwriting a newer change.
- Deleting a client/supplier or product deletes it (through `party_delete` /
  `product_delete`, which keep its full copy as a Snapshot, restorable from the sharing
  admin's "Cópias anteriores"); "Inativar" and "Reativar" are edits of `active`.
- Where catalog/services.py has no function for a write (deleting a salesperson,
  family, stock balance or price table; renaming a price table), the admin does not
  offer it.
"""

# Importing the modules registers their ModelAdmins (Django's autodiscover imports only
# this package).
from catalog.admin import attachments, lookups, parties, products, stock_prices  # noqa: F401
