import pytest

from pycondorlite.deltacloud import Client, Simulator

PASSWORD = "mockpassword"


@pytest.fixture
def sim():
    with Simulator(port=0) as s:
        yield s


@pytest.fixture
def client(sim):
    c = Client(sim.url, "mockuser", PASSWORD, timeout=(2, 10))
    yield c
    c.close()
