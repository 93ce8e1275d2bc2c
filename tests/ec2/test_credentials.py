import os

import pytest

from pycondorlite.ec2.credentials import Credentials, read_credentials
from pycondorlite.ec2.errors import EC2Error

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def files(tmp_path, key="AKIAIOSFODNN7EXAMPLE\n", secret=f"  {SECRET}\r\n"):
    a, s = tmp_path / "access", tmp_path / "secret"
    a.write_text(key)
    s.write_text(secret)
    os.chmod(s, 0o600)
    return str(a), str(s)


def test_whole_file_trimmed(tmp_path):
    c = read_credentials(*files(tmp_path))
    assert c.access_key_id == "AKIAIOSFODNN7EXAMPLE"
    assert c.secret_key == SECRET


def test_repr_and_str_hide_the_secret(tmp_path):
    c = read_credentials(*files(tmp_path))
    for text in (repr(c), str(c), f"{c}", repr([c])):
        assert SECRET not in text and "AKIAIOSFODNN7EXAMPLE" in text
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(c)


def test_read_when_needed_picks_up_a_rotated_key(tmp_path):
    a, s = files(tmp_path)
    assert read_credentials(a, s).secret_key == SECRET
    with open(s, "w") as f:
        f.write("rotated-secret")
    assert read_credentials(a, s).secret_key == "rotated-secret"


def test_errors_name_the_file_never_the_content(tmp_path):
    a, s = files(tmp_path)
    with pytest.raises(EC2Error) as e:
        read_credentials(a, str(tmp_path / "missing"))
    assert e.value.code == "E_FILE_IO" and e.value.kind == "auth"
    assert str(tmp_path / "missing") in str(e.value)
    assert str(e.value) == f"E_FILE_IO: Unable to read from secretkey file '{tmp_path / 'missing'}'."
    with pytest.raises(EC2Error) as e:
        read_credentials(str(tmp_path), s)          # a directory
    assert "accesskey file" in str(e.value)
    empty = tmp_path / "empty"
    empty.write_text(" \n")
    with pytest.raises(EC2Error) as e:
        read_credentials(a, str(empty))
    assert "is empty" in str(e.value)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe" + SECRET.encode())
    with pytest.raises(EC2Error) as e:
        read_credentials(a, str(binary))
    assert SECRET not in str(e.value) and "not text" in str(e.value)


def test_instance_role_magic_is_refused():
    with pytest.raises(EC2Error) as e:
        read_credentials("FROM INSTANCE", "FROM INSTANCE")
    assert "not supported" in e.value.message


def test_equality_without_showing():
    assert Credentials("a", "b") == Credentials("a", "b")
    assert Credentials("a", "b") != Credentials("a", "c")
