"""Fixtures for the staff API: real API keys made by the tenancy service, and clients."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from solabooks.activity.models import ActorType
from solabooks.activity.services import Actor
from solabooks.tenancy.services import create_api_key

API = "/finance/api/v1"


def owner_actor(user) -> Actor:
    return Actor(type=ActorType.STAFF, user=user, label=user.email)


@dataclass
class Key:
    raw: str
    api_key: object


def make_key(organization, user, name: str = "Test key") -> Key:
    new = create_api_key(organization=organization, actor=owner_actor(user), name=name)
    return Key(raw=new.raw_key, api_key=new.api_key)


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def key(org, owner) -> Key:
    return make_key(org, owner)


@pytest.fixture
def other_key(other_org, other_owner) -> Key:
    return make_key(other_org, other_owner)


@pytest.fixture
def api(key) -> APIClient:
    """A client of Acme Ltd (`org`) with a real API key."""
    return key_client(key.raw)


@pytest.fixture
def other_api(other_key) -> APIClient:
    """A client of Rival Inc (`other_org`)."""
    return key_client(other_key.raw)
