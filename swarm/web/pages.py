"""The page (``GET /``) and its static files (``static/...``), shipped in the package.

The template gets: ``base_path``, ``version``, ``state``, ``host``, ``class_picker``,
``user_classes`` (names of every class the userfile defines), ``selected_classes``,
``num_users``, ``spawn_rate``, ``run_time`` (the command line's ``-u``, ``-r``, ``-t`` as
the form's defaults), ``is_distributed``, ``shape_name`` (the load shape that sets the users,
or None: then the form asks for neither users nor spawn rate), ``arrival`` (the
``ArrivalPlan`` of an ``ArrivalRateShape``, or None: the form's notice then describes the
arrival rate instead of a number of users). Every URL in the page is
relative, so the page must be served at a URL ending in ``/``: ``GET <base path>`` redirects
there.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from swarm.__version__ import __version__
from swarm.runners.master import MasterRunner
from swarm.web.context import web_ui
from swarm.web.control import shape_arrival_plan, shape_name

pages = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@pages.get("/")
def index() -> str:
    ui = web_ui()
    env = ui.environment
    options = env.parsed_options
    return render_template(
        "index.html",
        base_path=ui.base_path,
        version=__version__,
        state=ui.runner.state,
        host=env.host or "",
        class_picker=ui.class_picker,
        user_classes=sorted(env.available_user_classes),
        selected_classes=[cls.__name__ for cls in env.user_classes],
        class_weights={name: cls.weight for name, cls in env.available_user_classes.items()},
        num_users=getattr(options, "num_users", None),
        spawn_rate=getattr(options, "spawn_rate", None),
        run_time=_run_time_text(getattr(options, "run_time", None)),
        is_distributed=isinstance(ui.runner, MasterRunner),
        shape_name=shape_name(env),
        arrival=shape_arrival_plan(env),
    )


def _run_time_text(seconds: float | None) -> str:
    """``-t`` as the form field shows it: whole seconds as ``90s``."""
    if not seconds:
        return ""
    return f"{seconds:g}s"
