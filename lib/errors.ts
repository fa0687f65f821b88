/**
 * Typed errors, mapped to an HTTP status (or retry / drop for event functions) once, at
 * the edge. `expose` says whether the message may reach the caller; 5xx bodies stay generic.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { retryable?: boolean; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }

  get expose(): boolean {
    return this.status < 500 || this.status === 503;
  }

  get retryable(): boolean {
    return this.options.retryable ?? this.status >= 500;
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);

/** Input a retry cannot fix (a dataset that is gone or malformed, too little data): an event function logs it and does not fail. */
export const unprocessable = (code: string, message: string) => new AppError(422, code, message);

/** A dependency (storage, a cloud API) failed in a way worth retrying. */
export const unavailable = (code: string, message: string, cause?: unknown, retryAfterS = 1) =>
  new AppError(503, code, message, { retryable: true, retryAfterS, cause });
