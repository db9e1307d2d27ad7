#!/usr/bin/env bash
# Copy the pinned browser libraries from node_modules into app/static/vendor.
#
# The copies are committed, so running the server never needs npm or a CDN; run this
# only after changing a version in package.json (then commit package-lock.json and the
# refreshed app/static/vendor files together).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/../app/static/vendor"

cd "$here"
npm ci --no-audit --no-fund

rm -rf "$vendor/katex" "$vendor/socket.io"
mkdir -p "$vendor/katex/fonts" "$vendor/socket.io"

# KaTeX: the UMD build (sets window.katex), its CSS and the woff2 fonts the CSS names
# first (every browser that runs ES modules reads woff2, so the woff/ttf fallbacks are
# never fetched).
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css "$vendor/katex/"
cp node_modules/katex/dist/fonts/*.woff2 "$vendor/katex/fonts/"
cp node_modules/katex/LICENSE "$vendor/katex/LICENSE"

# socket.io-client: the ES module build, without its source-map comment (the map is not
# shipped).
sed '/^\/\/# sourceMappingURL=/d' node_modules/socket.io-client/dist/socket.io.esm.min.js \
  > "$vendor/socket.io/socket.io.esm.min.js"
cp node_modules/socket.io-client/LICENSE "$vendor/socket.io/LICENSE"

node -e '
const p = (n) => require("./node_modules/" + n + "/package.json").version;
const fs = require("fs");
fs.writeFileSync(process.argv[1], JSON.stringify({katex: p("katex"), "socket.io-client": p("socket.io-client")}, null, 2) + "\n");
' "$vendor/VERSIONS.json"
echo "vendored into $vendor:"
cat "$vendor/VERSIONS.json"
