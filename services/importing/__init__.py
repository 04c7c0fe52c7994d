"""The import from bexio (issue 4): master data, people and historic hours, one resource at a time.

``service.ImportService`` runs the import (all of it, one resource, or one contact/project);
``runs.SyncRunService`` runs it as a job of the durable queue, one at a time per tenant, with a
progress message; ``status.SyncStatusService`` says how the bexio connection stands. How fetched
records reach the tables is ``staging``; what is mirrored how, the modules named after it.
"""
