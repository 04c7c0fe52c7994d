"""bexio adapter: an async API client (``bexio.client``) and a faithful sandbox (``bexio.sandbox``).

Typical use (``api_url`` and ``access_token`` from ``BEXIO_API_URL`` / ``BEXIO_ACCESS_TOKEN``)::

    async with BexioClient(api_url, StaticTokenAuth(access_token)) as client:
        async for page in client.contacts.pages():
            ...

Errors are ``bexio.errors.BexioError`` subclasses; read models live in ``bexio.models``, write
payloads in ``bexio.payloads``, search criteria in ``bexio.search``.
"""
