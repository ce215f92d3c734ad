#!/usr/bin/env bash
# Installs the system tools that some tests use, when they are missing. Safe to run repeatedly.
# Nothing is needed yet beyond Node; later capabilities (ffmpeg, redis, iproute2) add here.
set -u
exit 0
