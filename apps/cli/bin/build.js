#!/usr/bin/env node
// `node apps/cli/bin/build.js`: build only when a source changed (npm run bench uses it).
import { buildIfChanged } from './build-if-changed.js';

buildIfChanged();
