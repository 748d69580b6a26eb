import { ErrorCode } from './error-code';

export interface ErrorDetail {
  field: string;
  problem: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
    /** More fields of the error body beside code, message and details (e.g. `budget` of BUDGET_EXCEEDED). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static validation(details: ErrorDetail[], message = 'request validation failed'): DomainError {
    return new DomainError(ErrorCode.ValidationFailed, message, details);
  }

  static invalidField(field: string, problem: string): DomainError {
    return DomainError.validation([{ field, problem }], `${field}: ${problem}`);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetail[]; [more: string]: unknown };
}
