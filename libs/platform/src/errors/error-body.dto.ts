import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorBody, ErrorDetail } from './domain-error';
import { ErrorCode } from './error-code';

/**
 * The one error body of both HTTP APIs, as the OpenAPI document describes it. `implements` keeps the documented
 * shape and the one `toErrorResponse` builds (ErrorBody) the same at compile time.
 */
export class ErrorDetailDto implements ErrorDetail {
  @ApiProperty({ example: 'usage.prompt_tokens', description: 'the field, parameter or header the problem is about (`body` for the body as a whole)' })
  field!: string;

  @ApiProperty({ example: 'must be a non-negative integer' })
  problem!: string;
}

export class ErrorDto {
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', description: 'stable, machine-readable; the status of each code is fixed (ERROR_HTTP_STATUS)' })
  code!: ErrorCode;

  @ApiProperty({ example: 'usage.prompt_tokens: must be a non-negative integer', description: 'for people; wording may change' })
  message!: string;

  @ApiProperty({ type: [ErrorDetailDto], description: 'one entry per problem; may be empty' })
  details!: ErrorDetailDto[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'BUDGET_EXCEEDED only: the budget as GET /v1/users/:user_id/budget (or GET /v1/orgs/:org_id/budget) shows it',
  })
  budget?: Record<string, unknown>;

  /** Some codes carry more context beside the three fields every error has (BUDGET_EXCEEDED: `budget`). */
  [more: string]: unknown;
}

export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ type: ErrorDto })
  error!: ErrorDto;
}
