/**
 * A Fastify schema validation failure as a 400 problem that names the field the way the body
 * spells it (`messages[0].role`), so a client sees what to fix.
 */
import type { FastifyError } from 'fastify';
import type { HttpProblem } from './status.js';

/** The dotted field of an ajv instance path: `/messages/0/role` → `messages[0].role`. */
export function fieldOf(instancePath: string, missing?: unknown): string {
  const parts = instancePath.split('/').filter((part) => part !== '');
  if (typeof missing === 'string') parts.push(missing);
  return parts.reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field === '' ? part : `${field}.${part}`), '');
}

/** The 400 problem of a validation failure: `<field>: <what is wrong>`; `param` is the field. */
export function validationProblem(error: FastifyError): HttpProblem {
  const issues = error.validation ?? [];
  // For anyOf, ajv lists each branch's failure first and the anyOf summary last: the summary is clearer.
  const issue = issues.find((entry) => entry.keyword === 'anyOf') ?? issues[0];
  if (issue === undefined) return { status: 400, kind: 'invalid_request', message: error.message };
  const params = issue.params as Record<string, unknown>;
  const field = fieldOf(issue.instancePath, issue.keyword === 'required' ? params['missingProperty'] : undefined) || 'body';
  const what =
    issue.keyword === 'required'
      ? 'is required'
      : issue.keyword === 'enum'
        ? `must be one of ${JSON.stringify(params['allowedValues'])}`
        : issue.keyword === 'anyOf'
          ? 'has the wrong type (see the API reference for its allowed shapes)'
          : (issue.message ?? 'is invalid');
  return { status: 400, kind: 'invalid_request', message: `${field}: ${what}`, param: field };
}
