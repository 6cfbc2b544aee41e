#!/usr/bin/env bash
# `pnpm run pack`: installable tarballs of @reactor/fds and @reactor/reactor in
# packed/. pnpm pack, not npm pack: pnpm writes the version in place of
# "workspace:*" (npm would keep it, and the tarball could not be installed;
# the packages' prepack refuses npm). A fresh build first, so no output of a
# source removed since the last build rides along in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf packed packages/fds/dist packages/reactor/dist packages/fds/tsconfig.tsbuildinfo packages/reactor/tsconfig.tsbuildinfo
pnpm exec tsc -b packages/fds packages/reactor
pnpm -r --filter './packages/*' pack --pack-destination packed >/dev/null
ls -1 "$PWD"/packed/*.tgz
