"""The connection to a facility: the :class:`RemoteFs` protocol and its implementations (paramiko's
SFTP client, an in-memory file system), host keys, facility profiles and the sign-on governor.

Never imports :mod:`cpdesk.connectors.store`; the governor records attempts through the small
:class:`~cpdesk.connectors.sftp.governor.SignOnRecord` protocol that the ledger implements.
"""
