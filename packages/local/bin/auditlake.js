#!/usr/bin/env node
// The `auditlake` command; the implementation is compiled to dist/cli.js.
import '../dist/cli.js';
