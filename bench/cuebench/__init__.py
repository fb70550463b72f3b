"""The cue benchmark (issue 22): rendered sessions with labelled faults, replayed through
the real :class:`twistcoach.session.LiveSession`. See ``bench/cues.py``."""
