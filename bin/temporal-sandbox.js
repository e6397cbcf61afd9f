#!/usr/bin/env node
'use strict';
let cli;
let guard;
try {
  cli = require('../dist/cli/main.js');
  guard = require('../dist/cli/guard.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('temporal-sandbox: not built yet: run `npm ci && npm run build` in the repository\n');
    process.exit(125);
  }
  throw err;
}
guard.exitWhenSettled(cli.main(process.argv.slice(2)));
