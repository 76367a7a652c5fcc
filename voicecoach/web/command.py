"""`voicecoach serve`: the web app's command (attached to the CLI's group by
voicecoach.entry, so the CLI never imports the web app)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Open voicecoach in the browser (a local web app).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Anything but 127.0.0.1/localhost lets other computers reach the app: a warning is printed.")
@click.option("--no-browser", is_flag=True, help="Print the URL; do not open a browser.")
@click.option("--model", default=None, help="LLM judge model for litellm. Default: auto (a local model server if one runs, else offline).")
@click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server for --model.")
@click.option("--offline", is_flag=True, default=None, help="Guarantee no network use (offline judge only).")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path), help="Extra question folder (repeatable).")
def serve(port, host, no_browser, model, api_base, offline, banks):
    """Start the local web app and open it in the browser."""
    import sys

    from voicecoach.core.app import App
    from voicecoach.errors import VoicecoachError
    from voicecoach.web.server import run

    def say(line: str) -> None:
        click.echo(line, err=True)

    try:
        core = App.from_flags(banks=banks, warn=say, model=model, api_base=api_base, offline=offline)
        if host not in ("127.0.0.1", "localhost", "::1"):
            say(f"warning: listening on {host}: other computers on this network can reach voicecoach (your recordings "
                "included) if they get the link's token. Use the default 127.0.0.1 unless you mean it.")
        run(core, host=host, port=port, open_browser=not no_browser,
            announce=lambda url: click.echo(f"voicecoach is running at {url}\nOpen that link in your browser (Ctrl-C stops the server)."))
    except VoicecoachError as exc:
        say(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""))  # (startup errors name no step)
        sys.exit(exc.exit_code)
    except OSError as exc:  # the port is taken, the interface does not exist
        say(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}\nhint: leave out --port to use a free one.")
        sys.exit(2)
    except KeyboardInterrupt:
        pass
