"""python -m voicecoach: the same as the voicecoach command."""

from voicecoach.entry import main

main()
