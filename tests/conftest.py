import pytest
from django.test import Client

from tests.factories import (
    TEST_PASSWORD,
    CustomerFactory,
    MembershipFactory,
    OrganizationFactory,
)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Each test has its own public media and private storage (generated PDFs)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    private = settings.STORAGES["private"]
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**private, "OPTIONS": {**private["OPTIONS"], "location": tmp_path / "private"}},
    }


@pytest.fixture(autouse=True)
def _clear_page_caches():
    """Rendered pages are keyed by ids and versions, and ids repeat once a test's
    transaction rolls back; production never reuses them."""
    from solabooks.core.pagecache import clear_all_page_caches
    from solabooks.pdf.services import RECENT_PDFS

    clear_all_page_caches()
    RECENT_PDFS.clear()
    yield


@pytest.fixture(autouse=True)
def _every_change_records_its_activity(request):
    """tests/activity_watch.py: product code that writes business data in a transaction
    without recording an Activity in it fails the test."""
    uses_database = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    watched = not request.node.get_closest_marker("activity_watch_off")
    if not watched or not (uses_database or request.node.get_closest_marker("django_db")):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # the test's transaction comes first
    from tests.activity_watch import watching

    with watching() as watch:
        yield
    problems = watch.violations()
    if problems:
        pytest.fail("\n".join(["A change without its Activity:", *sorted(set(problems))]))


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate-limit counters live in the cache; every test starts with none."""
    if not {"db", "transactional_db", "live_server"} & set(request.fixturenames) and not (
        request.node.get_closest_marker("django_db")
    ):
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Ltd")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Rival Inc")


def _member(organization, role):
    return MembershipFactory(organization=organization, role=role).user


@pytest.fixture
def owner(org):
    return _member(org, "owner")


@pytest.fixture
def manager(org):
    return _member(org, "manager")


@pytest.fixture
def accountant(org):
    return _member(org, "accountant")


@pytest.fixture
def other_owner(other_org):
    return _member(other_org, "owner")


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=TEST_PASSWORD)
    return client


@pytest.fixture
def owner_client(owner):
    return signed_in(owner)


@pytest.fixture
def manager_client(manager):
    return signed_in(manager)


@pytest.fixture
def accountant_client(accountant):
    return signed_in(accountant)


@pytest.fixture
def other_client(other_owner):
    return signed_in(other_owner)


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org, name="Jane's Bakery", email="jane@bakery.test")


@pytest.fixture
def other_customer(org):
    return CustomerFactory(organization=org, name="Bob's Garage", email="bob@garage.test")


@pytest.fixture
def foreign_customer(other_org):
    return CustomerFactory(organization=other_org, name="Elsewhere Co", email="x@elsewhere.test")
