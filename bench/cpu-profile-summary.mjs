// Self time per function (and per file) of a V8 CPU profile, the largest first: where a bench's
// CPU goes. Shares within one profile are what to compare; absolute times include the
// profiler's own overhead.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/core.mjs
//   node bench/cpu-profile-summary.mjs /tmp/prof/*.cpuprofile [top=40]
import { readFileSync } from 'node:fs';

const [file, topArg = '40'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpu-profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map();
for (let i = 0; i < profile.samples.length; i++) selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));

const byFunction = new Map();
const byFile = new Map();
let total = 0;
for (const [id, time] of selfTime) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const where = url ? url.split('/').slice(-2).join('/') : '';
  const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
  byFile.set(where || functionName || '(native)', (byFile.get(where || functionName || '(native)') ?? 0) + time);
  total += time;
}
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((time / total) * 100).toFixed(1).padStart(5)} %  ${(time / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
show('self time by function', byFunction);
show('self time by file', byFile);
