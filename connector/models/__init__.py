from .connection import Connection, ConnectionSettings
from .credential import Credential
from .decision import Decision
from .heartbeat import WorkerHeartbeat
from .lock import Lock
from .project_settings import CostCodeMapping, ProjectSettings
from .sync import Kind, Link, LinkLine, SyncCursor, SyncRecord, SyncRun
from .webhook import WebhookEvent

__all__ = ["Connection", "ConnectionSettings", "CostCodeMapping", "Credential", "Decision", "Kind", "Link",
           "LinkLine", "Lock", "ProjectSettings", "SyncCursor", "SyncRecord", "SyncRun", "WebhookEvent",
           "WorkerHeartbeat"]
