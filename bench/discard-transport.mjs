// pino's baseline: a worker-thread transport that parses every line and throws it away.
import build from 'pino-abstract-transport';

export default function discard() {
  return build(async (source) => {
    // eslint-disable-next-line no-unused-vars
    for await (const _line of source);
  });
}
