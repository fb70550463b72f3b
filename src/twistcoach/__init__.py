"""twistcoach: safe, coached yoga spinal twists for people with back pain.

The package is split into a pure core (``landmarks``, ``metrics``, ``kinematics``,
``smoothing``, ``recognition``, ``coaching``, ``screening``, ``progression`` and the pose
library schema), which imports only the standard library, numpy and pydantic and does no
I/O, and edges (estimator, sources, overlay, speech, storage, web, cli) that wrap it.
Nothing happens at import time: factories build settings, engines, apps and estimators.
"""

__version__ = "0.1.0"
