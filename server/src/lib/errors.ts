/** One error class, one code→status map; the handler in app.ts turns these into the wire shape. */
const statusByCode = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  KILL_SWITCH_ACTIVE: 503,
} as const;

export type ErrorCode = keyof typeof statusByCode;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode | (string & {}),
    message: string,
    options: { status?: number; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = options.status ?? statusByCode[code as ErrorCode] ?? 400;
    this.details = options.details;
    this.headers = options.headers;
  }
  readonly details?: unknown;
  readonly headers?: Record<string, string>;
}

export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You do not have access to this') => new AppError('FORBIDDEN', message);
/** A clash with existing data; `field` names the body field at fault, so forms can show it there. */
export const conflict = (message: string, field?: string) =>
  new AppError('CONFLICT', message, field ? { details: [{ path: `body.${field}`, message }] } : {});

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}
