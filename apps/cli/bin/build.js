#!/usr/bin/env node
// `node apps/cli/bin/build.js [root]`: build only when a source changed (npm run bench
// uses it; tests point it at another root).
import { buildIfChanged } from './build-if-changed.js';

buildIfChanged(process.argv[2]);
