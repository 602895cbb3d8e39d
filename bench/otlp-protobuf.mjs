// Counts the log records of an OTLP/HTTP protobuf body (ExportLogsServiceRequest) without a
// protobuf library: only the three length-delimited levels that lead to LogRecord are walked.
//   ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//   ResourceLogs             { Resource resource = 1; repeated ScopeLogs scope_logs = 2; ... }
//   ScopeLogs                { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; ... }

function varint(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
    if (shift > 63) throw new Error('varint longer than 10 bytes');
  }
}

/** Calls `visit(start, end)` for each length-delimited field `field` of the message in [start, end). */
function eachField(bytes, start, end, field, visit) {
  let at = start;
  while (at < end) {
    let key;
    [key, at] = varint(bytes, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) [, at] = varint(bytes, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      let length;
      [length, at] = varint(bytes, at);
      if (at + length > end) throw new Error(`field ${number} runs past its message`);
      if (number === field) visit(at, at + length);
      at += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (at !== end) throw new Error('message ends inside a field');
}

/** The number of LogRecords in an ExportLogsServiceRequest. Throws on a malformed body. */
export function countProtobufLogRecords(bytes) {
  let count = 0;
  eachField(bytes, 0, bytes.length, 1, (rs, re) =>
    eachField(bytes, rs, re, 2, (ss, se) =>
      eachField(bytes, ss, se, 2, () => {
        count++;
      }),
    ),
  );
  return count;
}
