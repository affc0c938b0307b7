from .connection import Connection, ConnectionSettings
from .credential import Credential
from .heartbeat import WorkerHeartbeat
from .webhook import WebhookEvent

__all__ = ["Connection", "ConnectionSettings", "Credential", "WebhookEvent", "WorkerHeartbeat"]
