import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, registerDecorator } from 'class-validator';
import { IsRfc3339 } from '../../usage/dto/query-validators';
import { priceProblem } from '../money';

/** A price as a decimal string: not negative, at most six decimals (the error says which rule failed). */
function IsPrice(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPrice',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => priceProblem(value) === undefined,
        defaultMessage: (args) => priceProblem(args?.value) ?? 'is not a price',
      },
    });
  };
}

const PRICE_DOC = 'currency units per 1,000,000 tokens as a decimal string, at most 6 decimals';

/** One version of a model's prices, in effect from `effective_from` until the next version. */
export class PutPriceDto {
  @ApiProperty({ example: '2026-12-01T00:00:00Z', description: 'RFC 3339 with a zone: events whose tokens were spent from then on get these prices' })
  @IsString()
  @IsRfc3339()
  effective_from!: string;

  @ApiPropertyOptional({ example: 'USD', description: "the deployment's currency (LEDGER_CURRENCY); another one is refused" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as USD' })
  currency?: string;

  @ApiProperty({ example: '2.50', description: `input (prompt) tokens: ${PRICE_DOC}` })
  @IsPrice()
  input_per_mtok!: string;

  @ApiPropertyOptional({ example: '1.25', description: `cached input (cache read) tokens: ${PRICE_DOC}; default the input price` })
  @IsOptional()
  @IsPrice()
  cached_input_per_mtok?: string;

  @ApiPropertyOptional({ example: '3.125', description: `cache write tokens: ${PRICE_DOC}; default the input price` })
  @IsOptional()
  @IsPrice()
  cache_write_per_mtok?: string;

  @ApiProperty({ example: '10.00', description: `output (completion) tokens: ${PRICE_DOC}` })
  @IsPrice()
  output_per_mtok!: string;

  @ApiPropertyOptional({ example: '10.00', description: `reasoning tokens: ${PRICE_DOC}; default the output price` })
  @IsOptional()
  @IsPrice()
  reasoning_per_mtok?: string;
}

export const PRICE_FIELDS = ['input_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok', 'output_per_mtok', 'reasoning_per_mtok'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];
