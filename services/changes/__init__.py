"""Change processing (issue 7): bexio changed something, bxhours re-reads it and follows.

* ``processor`` — the ``change.process`` job: re-read what a notification names, through the importer;
* ``invoices`` — the drafts bxhours created: status and number recorded, deleted or cancelled
  ones release their items and tell their creator;
* ``errors`` — ``ChangeRefused``, for what retrying cannot fix.
"""

from services.changes.errors import ChangeRefused
from services.changes.invoices import InvoiceChanges, InvoiceRefresh
from services.changes.processor import ChangeProcessor, ChangeResult

__all__ = ["ChangeProcessor", "ChangeRefused", "ChangeResult", "InvoiceChanges", "InvoiceRefresh"]
