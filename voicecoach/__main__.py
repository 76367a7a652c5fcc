"""python -m voicecoach: the same as the voicecoach command."""

from .entry import main

main()
