#!/usr/bin/env node
import { main } from '../dist/replay-command.js';

const io = { out: (line) => console.log(line), err: (line) => console.error(line), env: process.env };
main(process.argv.slice(2), io).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(`auditlake-replay: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
