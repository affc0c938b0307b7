from .connection import Connection, ConnectionSettings
from .credential import Credential
from .heartbeat import WorkerHeartbeat
from .sync import Kind, Link, SyncCursor, SyncRecord, SyncRun
from .webhook import WebhookEvent

__all__ = ["Connection", "ConnectionSettings", "Credential", "Kind", "Link", "SyncCursor", "SyncRecord", "SyncRun",
           "WebhookEvent", "WorkerHeartbeat"]
