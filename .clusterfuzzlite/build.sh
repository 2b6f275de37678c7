#!/bin/bash -eu
# ClusterFuzzLite build: the very same script as OSS-Fuzz's, run on the
# checkout in $SRC/wsprobe.
exec bash "$SRC/wsprobe/fuzz/oss-fuzz/build.sh"
