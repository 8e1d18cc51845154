import type { Response } from 'express';

/** Harbor's error codes (src/lib/errors) with the HTTP status each one maps to. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION: 412,
  UNPROCESSABLE_ENTITY: 422,
  UNKNOWN: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Thrown by handlers; the error middleware turns it into Harbor's `{"errors":[…]}` body. */
export class HarborError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export const unauthorized = () => new HarborError('UNAUTHORIZED', 'unauthorized');
export const forbidden = () => new HarborError('FORBIDDEN', 'forbidden');
export const badRequest = (message: string) => new HarborError('BAD_REQUEST', message);
export const notFound = (message: string) => new HarborError('NOT_FOUND', message);

export function sendError(res: Response, code: ErrorCode, message: string): void {
  res.status(ERROR_STATUS[code]).json({ errors: [{ code, message }] });
}
