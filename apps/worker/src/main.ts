#!/usr/bin/env node
import { runWorkerProcess } from './worker-process.js';

await runWorkerProcess(process.env);
