#!/usr/bin/env node
// The `auditlake` command; the implementation is compiled to dist/cli.js.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
