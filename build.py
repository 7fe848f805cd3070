#!/usr/bin/env python3
"""Build the portal: `python build.py --help`."""
import sys

from sitegen.cli import main

if __name__ == "__main__":
    sys.exit(main())
