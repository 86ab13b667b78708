"""The tutorial's worked example: ``python demo.py [options]`` does what ``chainrule demo [options]`` does.

The program lives in ``nn/lesson/demo.py`` so that it is installed with the package; ``--help`` lists the options.
"""

import sys

from nn.lesson.demo import Progress, main, parse_args, pictures  # noqa: F401  (still importable as demo.*)

if __name__ == "__main__":
    sys.exit(main())
