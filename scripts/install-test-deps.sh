#!/usr/bin/env bash
# Installs the system tools that some tests use, when they are missing. Safe to run repeatedly.
# Never fails the CI run: when a tool cannot be installed (not root, no apt, repository unreachable),
# the tests that need it skip and print why.
# Currently: ffmpeg/ffprobe (Debian's `ffmpeg` package) for the FLV tests (test/media-flv.test.ts).
set -u

apt_updated=0
apt_install() {
  # $1 = package; installs with apt-get, running `apt-get update` once per run first.
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: not root; cannot install $1 (tests that need it will skip)"
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: apt-get not found; cannot install $1 (tests that need it will skip)"
    return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    echo "install-test-deps: apt-get update"
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
      echo "install-test-deps: apt-get update failed (repository unreachable?)"
    fi
    apt_updated=1
  fi
  echo "install-test-deps: apt-get install $1"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null; then
    echo "install-test-deps: installed $1"
    return 0
  fi
  echo "install-test-deps: could not install $1 (tests that need it will skip)"
  return 1
}

if command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1; then
  echo "install-test-deps: ffmpeg/ffprobe already present"
else
  apt_install ffmpeg || true
fi

exit 0
