#!/usr/bin/env node
import { apiEnv, createLogger, parseEnv } from '@evalq/core';
import { runApiUntilSignalled } from './run-until-signalled.js';

// `node apps/api/dist/main.js`: the API alone, configured from the environment.
const env = parseEnv(apiEnv, process.env);
const logger = createLogger({ level: env.LOG_LEVEL, name: 'api' });
await runApiUntilSignalled(env, logger);
