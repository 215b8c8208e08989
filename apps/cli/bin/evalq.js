#!/usr/bin/env node
// The `evalq` command of a checkout (`npx evalq`, `npm run evalq -- …`, `npm start`):
// builds the TypeScript first only when a source changed since the last build, so an
// everyday command starts at once, then runs the CLI.
import { buildIfChanged } from './build-if-changed.js';

buildIfChanged();
await import('../dist/main.js');
