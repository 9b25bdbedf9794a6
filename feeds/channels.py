"""Which feeds carry a document: all, its category, its agency, and matching downstream channels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

_UNSAFE = re.compile(r"[\s/\\?#%&:*\"<>|]+")


class ChannelKind:
    """Kinds of feed channel."""

    ALL = "all"
    CATEGORY = "category"
    AGENCY = "agency"
    DOWNSTREAM = "downstream"  # a registered consumer (a WeChat account, an app) with its webhook


def category_channel(category: str) -> str:
    """Channel name of a category (主题分类); Chinese kept, separators made safe for keys and paths."""
    return "category-" + _UNSAFE.sub("-", category).strip("-")


def agency_channel(agency_code: str) -> str:
    """Channel name of an issuing agency."""
    return f"agency-{agency_code}"


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """A downstream channel's selection: empty lists mean everything."""

    categories: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    def accepts(self, *, category: str, agency_code: str) -> bool:
        """Whether a document of this category and agency belongs in the channel."""
        return (not self.categories or category in self.categories) and (
            not self.agencies or agency_code in self.agencies
        )


def public_url(base_url: str, key: str) -> str:
    """An absolute URL of a public object; non-ASCII and reserved characters percent-encoded."""
    return base_url.rstrip("/") + "/" + quote(key, safe="/-_.~")
