"""Typed facades over the real servers' APIs (prometheus-api-client, requests)."""

from harness.clients.alertmanager import AlertmanagerClient
from harness.clients.prometheus import PromClient, Sample
from harness.clients.services import ServiceClient
from harness.clients.sink import Notification, SinkClient

__all__ = ["AlertmanagerClient", "Notification", "PromClient", "Sample", "ServiceClient", "SinkClient"]
