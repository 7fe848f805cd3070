#!/usr/bin/env python3
"""Build the portal: `python build.py --help`."""
import sys

from sitegen.cli import exit_now, main

if __name__ == "__main__":
    exit_now(main(ending=True))
