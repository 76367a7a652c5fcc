"""The `voicecoach` command: the CLI's group plus the web app's `serve`.
The one place that knows both front ends."""

from voicecoach.cli import main
from voicecoach.web.command import serve

main.add_command(serve)

if __name__ == "__main__":  # pragma: no cover
    main()
