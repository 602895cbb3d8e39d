import { describe, expect, it } from 'vitest';
import { compileRedactPath, redact, redactRecord, REDACTED, type RedactPath } from '../src/redact.js';

const paths = (...texts: string[]): RedactPath[] => texts.map((text) => compileRedactPath(text) as RedactPath);

describe('redaction paths', () => {
  it('compiles dotted paths, and refuses empty ones, empty segments and a trailing **', () => {
    expect(compileRedactPath('requestParameters.password')).toEqual(['requestParameters', 'password']);
    expect(compileRedactPath('**.token')).toEqual(['**', 'token']);
    for (const bad of ['', 'a..b', '.a', 'a.', 'a.**', 42 as unknown as string]) expect(compileRedactPath(bad)).toBeUndefined();
  });

  it('replaces what a path matches: names, * one level (arrays too), ** any depth, zero included', () => {
    const target = {
      requestParameters: { password: 'p', user: 'alice', nested: { password: 'deep' } },
      list: [{ token: 't0' }, { token: 't1', keep: true }],
      token: 'top',
      absent: undefined,
    };
    redact(target, paths('requestParameters.password', '*.*.token', '**.password', 'absent', 'missing.path'));
    expect(target).toEqual({
      requestParameters: { password: REDACTED, user: 'alice', nested: { password: REDACTED } },
      list: [{ token: REDACTED }, { token: REDACTED, keep: true }],
      token: 'top',
      absent: undefined,
    });
  });
});

describe('a record that could not be mapped, before its dead letter', () => {
  it('is redacted where mapping would have found each field: nested audit, flat audit.* keys, context attributes, and the root', () => {
    const record = {
      message: 'x',
      requestParameters: { password: 'root' },
      attributes: {
        audit: { requestParameters: { password: 'p1', user: 'alice' } },
        'audit.requestParameters.password': 'p2',
        'audit.requestParameters': { password: 'p3', keep: 'k' },
        'audit.requestParameters.user': 'bob',
        'audit.x.token': 't1',
        'audit.y': 'not a token',
        secret: 's1',
        other: { token: 't2', fine: 1 },
      },
    };
    redactRecord(record, paths('requestParameters.password', '**.token', 'additionalEventData.attributes.secret'));
    expect(record).toEqual({
      message: 'x',
      requestParameters: { password: REDACTED },
      attributes: {
        audit: { requestParameters: { password: REDACTED, user: 'alice' } },
        'audit.requestParameters.password': REDACTED,
        'audit.requestParameters': { password: REDACTED, keep: 'k' },
        'audit.requestParameters.user': 'bob',
        'audit.x.token': REDACTED,
        'audit.y': 'not a token',
        secret: REDACTED,
        other: { token: REDACTED, fine: 1 },
      },
    });
  });

  it('leaves a record without attributes, or with attributes that are not an object, to the root paths', () => {
    const plain = { requestParameters: { password: 'p' }, attributes: 'text' };
    redactRecord(plain, paths('requestParameters.password', '*.secret'));
    expect(plain).toEqual({ requestParameters: { password: REDACTED }, attributes: 'text' });
    const empty = { attributes: null, secret: 's' };
    redactRecord(empty, paths('secret'));
    expect(empty).toEqual({ attributes: null, secret: REDACTED });
  });

  it('a * in a flat key path matches one segment of the key; a path longer than the key goes on into its value', () => {
    const record = { attributes: { 'audit.a.b': { c: 'v', d: 'w' }, 'audit.a': { b: { c: 'v2' } }, 'audit.z.b': 'other' } };
    redactRecord(record, paths('*.b.c'));
    expect(record).toEqual({ attributes: { 'audit.a.b': { c: REDACTED, d: 'w' }, 'audit.a': { b: { c: REDACTED } }, 'audit.z.b': 'other' } });
  });
});
