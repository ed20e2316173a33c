import type { z } from 'zod';

/** A config problem as the technician reads it: `devices.cameras.teacher-cam.baudRate: expected one of ...`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function list(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join(', ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

function valuesOfUnion(issue: z.core.$ZodIssueInvalidUnion): unknown[] | null {
  const values: unknown[] = [];
  for (const branch of issue.errors) {
    if (branch.length !== 1 || branch[0]!.code !== 'invalid_value') return null;
    values.push(...branch[0].values);
  }
  return values.length ? values : null;
}

function messageOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = valueAt(input, issue.path);
      if (got === undefined) return 'required';
      const expected =
        issue.expected === 'int'
          ? 'a whole number'
          : issue.expected === 'object'
            ? 'a mapping'
            : issue.expected === 'array'
              ? 'a list'
              : issue.expected;
      return `expected ${expected}, got ${describe(got)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${String(issue.values[0])}` : `expected one of ${list(issue.values)}`;
    case 'invalid_union': {
      if ('options' in issue && Array.isArray((issue as { options?: unknown[] }).options)) {
        return `expected one of ${list((issue as unknown as { options: unknown[] }).options)}`;
      }
      const values = valuesOfUnion(issue);
      if (values) return `expected one of ${list(values)}`;
      const inner = issue.errors.flat().map((e) => e.message);
      return inner.length ? `does not match any allowed form (${[...new Set(inner)].join('; ')})` : 'does not match any allowed form';
    }
    case 'too_small':
      if (issue.origin === 'string') return `must be at least ${String(issue.minimum)} characters`;
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} entries`;
      return `must be >= ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} entries`;
      return `must be <= ${String(issue.maximum)}`;
    case 'not_multiple_of':
      return issue.message.startsWith('Invalid') ? `must be a multiple of ${String(issue.divisor)}` : issue.message;
    case 'invalid_key':
      return `invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** One problem per line; unknown keys are reported one per key, at the key's own path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_key') {
      out.push({ path: formatPath(issue.path), message: `invalid name: ${issue.issues.map((i) => i.message).join('; ')}` });
    } else {
      out.push({ path: formatPath(issue.path), message: messageOf(issue, input) });
    }
  }
  return out;
}
