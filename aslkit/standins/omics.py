"""A stand-in for AWS HealthOmics sequence stores, which neither moto nor LocalStack serves.

It answers the read-set operations the catalogue calls (GetSequenceStore, ListSequenceStores, GetReadSetMetadata,
ListReadSets, ListTagsForResource, TagResource, UntagResource) over seeded data, with the API's member names and
error codes, so a rule-started run describes a read set without mock cases. Both tiers serve this one class: the
in-process engine through botocore (`aslkit.engine.wiring`), LocalStack through aslkit's plugin, into which
`aslkit local install` copies this module. It therefore imports nothing outside the standard library.

A seed document is the service's own data in the API's shapes (camelCase members, ISO 8601 timestamps):

    {"region": "us-west-2", "account": "123456789012",
     "sequenceStores": [{"id": "1234567890", "name": "prod-store", ...,
                         "readSets": [{"id": "3456789012", "status": "ACTIVE", "name": "NA12878", "files": {...},
                                       "tags": {"project": "P1"}, ...}]}]}

ARNs are derived from `region` and `account` unless given.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import Any

PAGE_LIMIT = 100  # ListReadSets' and ListSequenceStores' maxResults upper bound
_FILTERS = ("name", "status", "sampleId", "subjectId", "referenceArn")  # ReadSetFilter's exact-match fields
_LIST_ITEM = ("id", "arn", "sequenceStoreId", "subjectId", "sampleId", "status", "name", "description",
              "referenceArn", "fileType", "sequenceInformation", "creationTime", "statusMessage", "creationType",
              "etag")  # fmt: skip
_STORE_ITEM = ("arn", "id", "name", "description", "sseConfig", "creationTime", "fallbackLocation",
               "eTagAlgorithmFamily", "status", "statusMessage", "updateTime")  # fmt: skip


class OmicsError(Exception):
    """A HealthOmics error response: its code (`ResourceNotFoundException` ...), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def _not_found(what: str) -> OmicsError:
    return OmicsError("ResourceNotFoundException", f"{what} does not exist", 404)


def _invalid(message: str) -> OmicsError:
    return OmicsError("ValidationException", message, 400)


class OmicsStandIn:
    """Seeded sequence stores and read sets; every call is served under one lock (threads of either tier)."""

    def __init__(self, region: str = "us-east-1", account: str = "000000000000") -> None:
        self.region, self.account = region, account
        self._lock = threading.Lock()
        self._stores: dict[str, dict[str, Any]] = {}
        self._read_sets: dict[str, dict[str, dict[str, Any]]] = {}  # store id -> read set id -> metadata
        self._tags: dict[str, dict[str, str]] = {}  # ARN -> tags

    def reset(self) -> None:
        with self._lock:
            self._stores.clear()
            self._read_sets.clear()
            self._tags.clear()

    def seed(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Add (or replace) the document's stores and read sets; returns how many of each it holds."""
        region, account = document.get("region", self.region), document.get("account", self.account)
        stores = document.get("sequenceStores")
        if not isinstance(stores, list):
            raise _invalid("a seed document needs a list 'sequenceStores'")
        count = 0
        with self._lock:
            for entry in stores:
                store = _timestamps({k: v for k, v in entry.items() if k not in ("readSets", "tags")})
                if not isinstance(store.get("id"), str):
                    raise _invalid(f"a seeded sequence store needs a string 'id': {entry!r}")
                store.setdefault("arn", f"arn:aws:omics:{region}:{account}:sequenceStore/{store['id']}")
                store.setdefault("status", "ACTIVE")
                self._stores[store["id"]] = store
                self._tags[store["arn"]] = dict(entry.get("tags") or {})
                read_sets = self._read_sets.setdefault(store["id"], {})
                for seeded in entry.get("readSets") or []:
                    read_set = _timestamps({k: v for k, v in seeded.items() if k != "tags"})
                    if not isinstance(read_set.get("id"), str):
                        raise _invalid(f"a seeded read set needs a string 'id': {seeded!r}")
                    read_set.update(sequenceStoreId=store["id"])
                    read_set.setdefault("arn", f"{store['arn']}/readSet/{read_set['id']}")
                    read_set.setdefault("status", "ACTIVE")
                    read_sets[read_set["id"]] = read_set
                    self._tags[read_set["arn"]] = dict(seeded.get("tags") or {})
                    count += 1
        return {"sequenceStores": len(stores), "readSets": count}

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Serve one operation: `request` and the result use the API's member names. Raises OmicsError."""
        handler: Callable[[Mapping[str, Any]], dict[str, Any]] | None = getattr(self, "_" + operation, None)
        if handler is None:
            raise OmicsError("NotImplemented", f"the HealthOmics stand-in does not serve {operation}; it serves "
                             f"{', '.join(sorted(OPERATIONS))}", 501)  # fmt: skip
        with self._lock:
            return handler(request)

    # -- the operations ---------------------------------------------------------------------------------------
    def _GetSequenceStore(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._store(request.get("id")))

    def _ListSequenceStores(self, request: Mapping[str, Any]) -> dict[str, Any]:
        stores = [{k: v for k, v in s.items() if k in _STORE_ITEM} for s in self._stores.values()]
        return _page(stores, request, "sequenceStores")

    def _GetReadSetMetadata(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._read_set(request.get("sequenceStoreId"), request.get("id")))

    def _ListReadSets(self, request: Mapping[str, Any]) -> dict[str, Any]:
        store = self._store(request.get("sequenceStoreId"))
        wanted = dict(request.get("filter") or {})
        items = [
            {k: v for k, v in read_set.items() if k in _LIST_ITEM}
            for read_set in self._read_sets.get(store["id"], {}).values()
            if all(read_set.get(field) == wanted[field] for field in _FILTERS if field in wanted)
        ]
        return _page(items, request, "readSets")

    def _ListTagsForResource(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._tagged(request.get("resourceArn")))}

    def _TagResource(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self._tagged(request.get("resourceArn")).update(request.get("tags") or {})
        return {}

    def _UntagResource(self, request: Mapping[str, Any]) -> dict[str, Any]:
        tags = self._tagged(request.get("resourceArn"))
        for key in request.get("tagKeys") or []:
            tags.pop(key, None)
        return {}

    # -- lookups ----------------------------------------------------------------------------------------------
    def _store(self, store_id: Any) -> dict[str, Any]:
        if not isinstance(store_id, str) or not store_id:
            raise _invalid("a sequence store id is required")
        if store_id not in self._stores:
            raise _not_found(f"sequence store {store_id}")
        return self._stores[store_id]

    def _read_set(self, store_id: Any, read_set_id: Any) -> dict[str, Any]:
        store = self._store(store_id)
        found = self._read_sets.get(store["id"], {}).get(read_set_id) if isinstance(read_set_id, str) else None
        if found is None:
            raise _not_found(f"read set {read_set_id} in sequence store {store_id}")
        return found

    def _tagged(self, arn: Any) -> dict[str, str]:
        if not isinstance(arn, str) or arn not in self._tags:
            raise _not_found(f"resource {arn}")
        return self._tags[arn]


OPERATIONS = frozenset(
    {
        "GetSequenceStore",
        "ListSequenceStores",
        "GetReadSetMetadata",
        "ListReadSets",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
    }
)


def _page(items: list[dict[str, Any]], request: Mapping[str, Any], key: str) -> dict[str, Any]:
    """One page of `items` after `nextToken` (an opaque offset), at most `maxResults` (1-100, default 100)."""
    size = request.get("maxResults", PAGE_LIMIT)
    if not isinstance(size, int) or not 1 <= size <= PAGE_LIMIT:
        raise _invalid(f"maxResults must be an integer from 1 to {PAGE_LIMIT}, not {size!r}")
    token = request.get("nextToken")
    try:
        start = int(base64.urlsafe_b64decode(str(token)).decode()) if token else 0
    except ValueError:
        raise _invalid(f"invalid nextToken {token!r}") from None
    page: dict[str, Any] = {key: [dict(item) for item in items[start : start + size]]}
    if start + size < len(items):
        page["nextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def _timestamps(value: Any, key: str = "") -> Any:
    """Seeded ISO 8601 strings become the datetimes the API returns (members named `...Time`)."""
    if isinstance(value, dict):
        return {k: _timestamps(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_timestamps(v) for v in value]
    if isinstance(value, str) and key.endswith("Time"):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(f"{key} must be an ISO 8601 timestamp, not {value!r}") from None
    return value
