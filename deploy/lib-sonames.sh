#!/bin/sh
# deploy/lib-sonames.sh PKG:NAME...: for each pkg-config package, the
# compiler flag -DEGRESSD_SO_NAME="soname" naming the shared library the
# build is made against. The libraries only some sinks need are loaded by
# that name when such a sink is made (lib_load in include/util.h), not
# linked; the Makefile and tests/fuzz/run.sh both take their flags here.
set -eu

for p in "$@"; do
	pkg=${p%%:*}
	name=${p#*:}
	dir=$(pkg-config --variable=libdir "$pkg")
	so=$(readelf -d "$dir/$pkg.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
	if [ -z "$so" ]; then
		echo "lib-sonames: no soname in $dir/$pkg.so" >&2
		exit 1
	fi
	printf ' -DEGRESSD_SO_%s="%s"' "$name" "$so"
done
echo
