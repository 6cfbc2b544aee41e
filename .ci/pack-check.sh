#!/usr/bin/env bash
# The packages as a user outside this repository gets them: `pnpm run pack`
# (what the README names), then for npm and for pnpm in turn, a fresh project
# in a temporary directory installs both tarballs (plus typescript,
# @types/node and pino from the registry) and runs a CommonJS program, an ES
# module and a TypeScript program type-checked with module nodenext
# (.ci/pack-check/), each under both FFI bindings. Also checked: README and
# LICENSE in each installed package, and `npm pack` refused in a package.
# Needs Node, npm, pnpm and the registry; run from a clone (`pnpm install`
# is run if node_modules is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROGRAMS=$ROOT/.ci/pack-check
# pnpm points NODE_PATH at the workspace's hoisted modules when it runs a
# script: unset, so that nothing resolves from this repository by accident.
unset NODE_PATH

[ -d node_modules ] || pnpm install --frozen-lockfile
pnpm run pack >/dev/null
FDS=$ROOT/packed/reactor-fds-$(node -p "require('./packages/fds/package.json').version").tgz
REACTOR=$ROOT/packed/reactor-reactor-$(node -p "require('./packages/reactor/package.json').version").tgz
# The same TypeScript and Node types as the workspace; pino as a user would bring it.
TS=typescript@$(node -p "require('typescript/package.json').version")
TYPES=@types/node@$(node -p "require('./node_modules/@types/node/package.json').version")
PINO=pino@$(cd packages/reactor && node -p "require('pino/package.json').version")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reactor-pack-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

run_programs() { # $1: the project directory, $2: the installer's name
  local dir=$1 who=$2
  cp "$PROGRAMS"/program.cjs "$PROGRAMS"/program.mjs "$PROGRAMS"/program.mts "$PROGRAMS"/tsconfig.json "$dir"/
  for pkg in fds reactor; do
    for f in README.md LICENSE package.json; do
      [ -f "$dir/node_modules/@reactor/$pkg/$f" ] || { echo "$who: @reactor/$pkg has no $f" >&2; exit 1; }
    done
    cmp -s "$ROOT/LICENSE" "$dir/node_modules/@reactor/$pkg/LICENSE" || { echo "$who: @reactor/$pkg's LICENSE differs from the repository's" >&2; exit 1; }
  done
  (cd "$dir" && ./node_modules/.bin/tsc -p tsconfig.json)
  for binding in ffi-rs koffi; do
    (cd "$dir" && REACTOR_FFI=$binding node program.cjs && REACTOR_FFI=$binding node program.mjs && REACTOR_FFI=$binding node out/program.mjs) \
      | sed "s/^/$who: /"
  done
}

echo "== npm: npm install of both tarballs =="
mkdir "$WORK/npm"
echo '{ "name": "pack-check-npm", "private": true }' > "$WORK/npm/package.json"
(cd "$WORK/npm" && npm install --no-audit --no-fund --loglevel=error "$FDS" "$REACTOR" "$TS" "$TYPES" "$PINO" >/dev/null)
run_programs "$WORK/npm" npm

echo "== pnpm: pnpm add of both tarballs (overrides: @reactor/fds from its tarball) =="
mkdir "$WORK/pnpm"
# Until @reactor/fds is on a registry, pnpm resolves @reactor/reactor's
# dependency on it from the registry even when its tarball is installed in
# the same command: an override points it at the tarball (npm needs none).
cat > "$WORK/pnpm/package.json" <<JSON
{ "name": "pack-check-pnpm", "private": true, "pnpm": { "overrides": { "@reactor/fds": "file:$FDS" } } }
JSON
(cd "$WORK/pnpm" && pnpm add --reporter=silent "$FDS" "$REACTOR" "$TS" "$TYPES" "$PINO" >/dev/null)
run_programs "$WORK/pnpm" pnpm

echo "== npm pack in a package is refused (it would keep workspace:*) =="
if out=$(cd packages/reactor && npm pack --dry-run 2>&1); then
  echo "npm pack was not refused" >&2
  exit 1
fi
grep -q 'pack with pnpm' <<<"$out" || { echo "npm pack failed, but not with the prepack message: $out" >&2; exit 1; }
echo "refused: $(grep -o 'pack with pnpm[^:]*' <<<"$out" | head -1)"
echo "pack check passed"
