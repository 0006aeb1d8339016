import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorBody } from './errors.js';

const codeByStatus: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** PostgreSQL/pg failures that mean "the database is not reachable right now", not a bug. */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.code && (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03'].includes(e.code) ||
    e.code.startsWith('08'))) return true;
  if (typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause);
}

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

const answer = (status: number, code: string, message: string, requestId: string, details?: unknown, headers?: Record<string, string>): ErrorAnswer => {
  const body: ErrorBody = { error: { code, message, requestId } };
  if (details !== undefined) body.error.details = details;
  return { status, body, headers };
};

/**
 * Every thrown thing as the contract's `{error: {code, message, requestId, details?}}`, its status and headers;
 * `log` hears of what is the server's fault. Fastify's error handler and the hot lane both answer with this.
 */
export function describeError(error: unknown, requestId: string, log: (level: 'warn' | 'error', message: string) => void): ErrorAnswer {
  if (error instanceof AppError) return answer(error.status, error.code, error.message, requestId, error.details, error.headers);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((issue) => ({
      path: `${error.validationContext ?? 'body'}${issue.instancePath.replace(/\//g, '.')}`,
      message: issue.message ?? 'Invalid value',
    }));
    return answer(400, 'VALIDATION_FAILED', 'The request is not valid', requestId, details);
  }
  if (isResponseSerializationError(error)) {
    log('error', 'response did not match its schema');
    return answer(500, 'INTERNAL', 'Internal server error', requestId);
  }
  if (isDatabaseUnavailable(error)) {
    log('error', 'database unavailable');
    return answer(503, 'SERVICE_UNAVAILABLE', 'The service is temporarily unavailable. Please retry shortly.', requestId, undefined, { 'retry-after': '5' });
  }
  const e = error as Partial<FastifyError>;
  const status = e.statusCode ?? 500;
  if (status >= 500) {
    log('error', 'unhandled error');
    return answer(500, 'INTERNAL', 'Internal server error', requestId);
  }
  const message =
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
      ? 'The body is not valid JSON'
      : e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The body is too large'
        : (e.message ?? 'Bad request');
  return answer(status, codeByStatus[status] ?? 'BAD_REQUEST', message, requestId);
}

export function send(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  return reply.status(status).type('application/json').send(answer(status, code, message, reply.request.id, details).body);
}

/** One handler turns every thrown thing into the contract's error shape (describeError). */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, headers } = describeError(error, request.id, (level, message) => request.log[level]({ err: error }, message));
    if (headers) reply.headers(headers);
    return reply.status(status).type('application/json').send(body);
  });
}
