"""All SQLModel tables; importing this module registers them on SQLModel.metadata."""

from resolutionflow_app.db.models.accounts import ROLES, Account, AuthToken, User
from resolutionflow_app.db.models.automations import (
    Assistant,
    AssistantMCPServer,
    Automation,
    AutomationRun,
    AutomationStep,
    AutomationStepMCPTool,
    AutomationStepResult,
    CompletionModel,
    MCPServer,
    MCPServerTool,
    StoredFile,
)
from resolutionflow_app.db.models.jobs import PeriodicJobRun
from resolutionflow_app.db.models.library import (
    LibraryStep,
    StepCategory,
    StepRating,
    StepUsageLog,
)
from resolutionflow_app.db.models.sessions import (
    SessionShare,
    SessionShareView,
    SupportSession,
)
from resolutionflow_app.db.models.sync import SyncConnection, SyncItem, SyncReceipt
from resolutionflow_app.db.models.trees import Tree, TreeVersion

__all__ = [
    "ROLES",
    "Account",
    "AuthToken",
    "User",
    "Assistant",
    "AssistantMCPServer",
    "Automation",
    "AutomationRun",
    "AutomationStep",
    "AutomationStepMCPTool",
    "AutomationStepResult",
    "CompletionModel",
    "MCPServer",
    "MCPServerTool",
    "StoredFile",
    "LibraryStep",
    "StepCategory",
    "StepRating",
    "StepUsageLog",
    "SessionShare",
    "SessionShareView",
    "SupportSession",
    "Tree",
    "TreeVersion",
    "PeriodicJobRun",
    "SyncConnection",
    "SyncItem",
    "SyncReceipt",
]
