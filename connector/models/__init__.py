from .connection import Connection, ConnectionSettings
from .credential import Credential
from .decision import Decision
from .heartbeat import WorkerHeartbeat
from .lock import Lock
from .membership import AuditEntry, Membership
from .project_settings import CostCodeMapping, ProjectSettings
from .sync import Kind, Link, LinkLine, SyncCursor, SyncRecord, SyncRun
from .webhook import WebhookEvent

__all__ = ["AuditEntry", "Connection", "ConnectionSettings", "CostCodeMapping", "Credential", "Decision", "Kind", "Link",
           "LinkLine", "Lock", "Membership", "ProjectSettings", "SyncCursor", "SyncRecord", "SyncRun", "WebhookEvent",
           "WorkerHeartbeat"]
