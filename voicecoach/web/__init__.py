"""The local web app (`voicecoach serve`): Starlette routes, server-side
templates, a WebSocket for the browser's microphone. It calls the core
(voicecoach.core) and never the CLI."""
