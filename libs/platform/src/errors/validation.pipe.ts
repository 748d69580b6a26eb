import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorDetail } from './domain-error';

function toDetails(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = `${prefix}${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([rule, problem]) => ({
      field,
      problem: rule === 'whitelistValidation' ? 'is not an allowed field' : problem.replace(`${field} `, '').replace(`${error.property} `, ''),
    }));
    return [...own, ...toDetails(error.children ?? [], `${field}.`)];
  });
}

/**
 * Strict input: unknown fields are rejected (not silently dropped), nothing is coerced except what a DTO
 * converts explicitly (query strings), and every problem is reported with its field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = toDetails(errors);
      const message = details.length ? details.map((d) => `${d.field}: ${d.problem}`).join('; ') : 'request validation failed';
      return DomainError.validation(details, message);
    },
  });
}
