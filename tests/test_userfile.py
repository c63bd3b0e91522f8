"""Finding and importing userfiles: files, lists, directories, and every way they fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.exceptions import UserfileError
from swarm.userfile import find_userfiles, load_userfiles

USER = """
from swarm import User, task

class {name}(User):
    @task
    def t(self):
        pass
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(source)
    return path


def test_single_file_comma_list_and_directory(tmp_path: Path) -> None:
    a = write(tmp_path, "a_users.py", USER.format(name="AUser"))
    b = write(tmp_path, "b_users.py", USER.format(name="BUser"))
    write(tmp_path, "_helpers.py", "X = 1\n")
    assert find_userfiles(str(a), tmp_path) == [a]
    assert find_userfiles("a_users.py, b_users.py", tmp_path) == [a, b]
    assert find_userfiles(".", tmp_path) == [a, b]  # _helpers.py is skipped
    assert find_userfiles("a_users", tmp_path) == [a]  # .py may be left out
    loaded = load_userfiles([a, b])
    assert list(loaded.user_classes) == ["AUser", "BUser"]


def test_abstract_and_imported_base_classes_are_not_collected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "abstract_users.py",
        """
from swarm import HttpUser, User, task

class Base(User):
    abstract = True

    @task
    def t(self):
        pass

class Concrete(Base):
    pass
""",
    )
    assert list(load_userfiles([path]).user_classes) == ["Concrete"]


def test_userfile_can_import_its_neighbours(tmp_path: Path) -> None:
    write(tmp_path, "shop_helpers_for_test.py", "PATH = '/products'\n")
    path = write(
        tmp_path,
        "neighbour_users.py",
        "from shop_helpers_for_test import PATH\n" + USER.format(name="NUser"),
    )
    assert "NUser" in load_userfiles([path]).user_classes


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("class X(\n", [":1", "syntax error"]),
        ("import os\nraise RuntimeError('at import')\n", [":2", "RuntimeError", "at import"]),
        ("import not_a_module_anywhere_swarm\n", ["not_a_module_anywhere_swarm", "installed"]),
    ],
)
def test_broken_userfiles_name_the_file_and_line(
    tmp_path: Path, source: str, fragments: list[str]
) -> None:
    path = write(tmp_path, "broken_users.py", source)
    with pytest.raises(UserfileError) as info:
        load_userfiles([path])
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(UserfileError, match=r"could not find the userfile 'nope\.py'"):
        find_userfiles("nope.py", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserfileError, match="holds no userfile"):
        find_userfiles("empty", tmp_path)
    with pytest.raises(UserfileError, match="no userfile given"):
        find_userfiles(" , ", tmp_path)


def test_two_classes_with_one_name_in_two_files(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    a = write(one, "dup_a_users.py", USER.format(name="Twin"))
    b = write(two, "dup_b_users.py", USER.format(name="Twin"))
    with pytest.raises(UserfileError, match="two user classes are named 'Twin'"):
        load_userfiles([a, b])
