"""Call records and campaign states, kept: the ``Store`` and ``CampaignStore`` interfaces,
their SQLite implementation, the data folder."""

from __future__ import annotations

from runner.store._campaign_types import (
    CAMPAIGN_STATES,
    OUTCOMES,
    RECIPIENT_STATUSES,
    Campaign,
    CampaignCounts,
    CampaignState,
    CampaignSummary,
    NewRecipient,
    Outcome,
    RecipientState,
    RecipientStatus,
)
from runner.store._codec import record_from_json
from runner.store._data_dir import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    STORE_FILENAME,
    open_existing_store,
    open_store,
    resolve_data_dir,
)
from runner.store._errors import (
    CampaignExistsError,
    CampaignNotFoundError,
    DataDirError,
    NotAStoreError,
    RecordError,
    StoreAccessError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from runner.store._protocol import CampaignStore, Store
from runner.store._sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = [
    "CAMPAIGN_STATES",
    "DATA_DIR_ENV",
    "DEFAULT_DATA_DIR",
    "OUTCOMES",
    "RECIPIENT_STATUSES",
    "SCHEMA_VERSION",
    "STORE_FILENAME",
    "Campaign",
    "CampaignCounts",
    "CampaignExistsError",
    "CampaignNotFoundError",
    "CampaignState",
    "CampaignStore",
    "CampaignSummary",
    "DataDirError",
    "NewRecipient",
    "NotAStoreError",
    "Outcome",
    "RecipientState",
    "RecipientStatus",
    "RecordError",
    "SQLiteStore",
    "Store",
    "StoreAccessError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "open_existing_store",
    "open_store",
    "record_from_json",
    "resolve_data_dir",
]
