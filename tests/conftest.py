import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="Rewrite the expected-findings snapshots beside the fixtures (review the diff!).",
    )


@pytest.fixture
def update_snapshots(request):
    return request.config.getoption("--update-snapshots")
