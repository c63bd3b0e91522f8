"""Finding, importing and inspecting userfiles (locustfiles work unchanged).

``-f`` takes a file, a comma-separated list of files, or a directory (every ``*.py`` in it
whose name does not start with ``_``). Each file is imported as a module with its own folder
on ``sys.path`` (so it can import its neighbours), and every concrete ``User`` subclass in its
namespace is collected. Everything that can go wrong is a ``UserfileError`` whose message
names the file (and line) and what to do.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from swarm.exceptions import UserfileError
from swarm.user import User


@dataclass
class Userfiles:
    """What the userfiles define: user classes (by name) and shape classes, in file order."""

    paths: list[Path] = field(default_factory=list)
    user_classes: dict[str, type[User]] = field(default_factory=dict)
    shape_classes: list[type] = field(default_factory=list)


def find_userfiles(spec: str, cwd: Path) -> list[Path]:
    """The files ``-f`` names: a file, a comma list, or a directory of ``*.py`` files."""
    paths: list[Path] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        path = Path(item).expanduser()
        if not path.is_absolute():
            path = cwd / path
        if path.is_dir():
            found = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
            if not found:
                raise UserfileError(f"the directory {item} holds no userfile (*.py)")
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        elif path.suffix != ".py" and path.with_suffix(".py").is_file():
            paths.append(path.with_suffix(".py"))
        else:
            raise UserfileError(
                f"could not find the userfile {item!r} (looked in {cwd}). "
                "Name an existing file with -f, e.g. swarm -f userfile.py"
            )
    if not paths:
        raise UserfileError("no userfile given; name one with -f, e.g. swarm -f userfile.py")
    return paths


def load_userfiles(paths: list[Path]) -> Userfiles:
    """Import every file and collect its user and shape classes."""
    result = Userfiles(paths=list(paths))
    for path in paths:
        module = import_userfile(path)
        for name, cls in user_classes_in(module).items():
            other = result.user_classes.get(name)
            if other is not None and other is not cls:
                raise UserfileError(
                    f"two user classes are named {name!r} ({other.__module__} and {path}); "
                    "rename one of them"
                )
            result.user_classes[name] = cls
        result.shape_classes.extend(
            c for c in shape_classes_in(module) if c not in result.shape_classes
        )
    return result


def import_userfile(path: Path) -> ModuleType:
    """Import ``path`` as a module; errors name the file and line."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserfileError(f"cannot read the userfile {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise UserfileError(f"the userfile {path} is not UTF-8 text: {e.reason}") from None
    try:
        compile(source, str(path), "exec")
    except SyntaxError as e:
        raise UserfileError(_describe_syntax_error(path, e)) from None
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = path.stem if path.stem not in sys.modules else f"_swarm_userfile_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserfileError(f"cannot import the userfile {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[module_name]
        raise UserfileError(_describe_import_error(path, e)) from None
    return module


def user_classes_in(module: ModuleType) -> dict[str, type[User]]:
    """Concrete (not abstract) User subclasses in the module's namespace, by name."""
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, User)
        and value is not User
        and not value.__dict__.get("abstract", False)
    }


def shape_classes_in(module: ModuleType) -> list[type]:
    """Load-shape classes defined in the module (they arrive with the load-models work)."""
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and any(base.__name__ == "LoadTestShape" for base in value.__mro__[1:])
    ]


def _describe_syntax_error(path: Path, e: SyntaxError) -> str:
    where = f"{path}:{e.lineno}" if e.lineno else str(path)
    lines = [f"syntax error in the userfile {where}: {e.msg}"]
    if e.text:
        lines.append("    " + e.text.rstrip("\n"))
        if e.offset:
            lines.append("    " + " " * (e.offset - 1) + "^")
    return "\n".join(lines)


def _describe_import_error(path: Path, e: Exception) -> str:
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(path)]
    where = f"{path}:{frames[-1].lineno}" if frames else str(path)
    message = f"the userfile {where} failed while being imported: {type(e).__name__}: {e}"
    if isinstance(e, ImportError) and e.name:
        message += f"\n(is the module {e.name!r} installed in this Python environment?)"
    return message
