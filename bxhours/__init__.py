"""bxhours: Slack time tracking and invoicing connected to bexio.

This package is the composition root: settings, the command line, the HTTP
server and the wiring that hands adapters (bexio, storage) to the services.
"""

__version__ = "0.1.0"
