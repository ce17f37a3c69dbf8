"""`streamlit run app.py`: streamlit execs the script itself, with the script's folder first on
sys.path (streamlit.web.bootstrap._fix_sys_path), and runs each `pages/*.py` beside it as a page."""
from __future__ import annotations

import posixpath

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register


@register("streamlit")
def run_streamlit(shell: Shell, args: list[str]) -> None:
    if args[:1] != ["run"]:
        return  # `streamlit hello`, `streamlit config show`: no application code
    target = next((a for a in args[1:] if not a.startswith("-") and a.endswith(".py")), None)
    if target is None:
        return  # a URL or a directory: nothing predguard can read
    script = join(shell.cwd, target)
    pages = posixpath.join(posixpath.dirname(script), "pages") + "/"
    scripts = [script, *sorted(p for p in shell.image.files if p.startswith(pages) and p.endswith(".py") and "/" not in p[len(pages):])]
    shell.runs.append(Run(scripts=scripts, front=[posixpath.dirname(script)], pythonpath=shell.pythonpath()))
