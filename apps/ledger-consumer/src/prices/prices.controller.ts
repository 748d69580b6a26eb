import { Body, Controller, Get, HttpCode, Param, PipeTransform, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { isSafeText } from '@chat-ledger/contracts';
import { ApiErrorResponses, CurrentPrincipal, DomainError, ErrorCode, Principal, RequireScopes, Scopes } from '@chat-ledger/platform';
import { PutPriceDto } from './dto/put-price.dto';
import { ModelPricesResponse, PriceBookResponse, PriceVersionCreatedResponse, RepriceResponse } from './dto/price.response';
import { RepriceDto } from './dto/reprice.dto';
import { PricesService } from './prices.service';

/** Model names as events carry them: 1 to 100 characters of storable text. */
class ModelPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || value.length < 1 || value.length > 100 || !isSafeText(value) || value.trim() !== value) {
      throw DomainError.invalidField('model', 'must be 1 to 100 characters without leading or trailing spaces');
    }
    return value;
  }
}

const ApiModelParam = () =>
  ApiParam({ name: 'model', description: 'the model as events name it: 1 to 100 characters without leading or trailing spaces', example: 'gpt-4o' });

/** The price book (scope prices:admin). Prices are decimal strings per 1M tokens; costs everywhere else are integer micro-units. */
@ApiTags('prices')
@ApiBearerAuth()
@RequireScopes(Scopes.pricesAdmin)
@Controller('v1/admin/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @ApiOperation({ summary: 'Every model with its current price and all its versions' })
  @ApiOkResponse({ type: PriceBookResponse })
  list(): Promise<PriceBookResponse> {
    return this.prices.list();
  }

  @Post('reprice')
  @HttpCode(200)
  @ApiOperation({ summary: 'Price applied events of [from, to) again with the current price book: correcting journal entries, never rewrites' })
  @ApiOkResponse({ type: RepriceResponse })
  reprice(@CurrentPrincipal() principal: Principal, @Body() dto: RepriceDto): Promise<RepriceResponse> {
    return this.prices.reprice(principal.userId, dto);
  }

  @Get(':model')
  @ApiOperation({ summary: "A model's price versions, newest first (404 without any)" })
  @ApiModelParam()
  @ApiOkResponse({ type: ModelPricesResponse })
  @ApiErrorResponses(400, ErrorCode.PriceNotFound)
  model(@Param('model', new ModelPipe()) model: string): Promise<ModelPricesResponse> {
    return this.prices.model(model);
  }

  @Put(':model')
  @HttpCode(201)
  @ApiOperation({ summary: 'Adds a price version effective from a time; an existing effective_from is a 409' })
  @ApiModelParam()
  @ApiCreatedResponse({ type: PriceVersionCreatedResponse })
  @ApiErrorResponses(ErrorCode.PriceVersionExists)
  put(
    @CurrentPrincipal() principal: Principal,
    @Param('model', new ModelPipe()) model: string,
    @Body() dto: PutPriceDto,
  ): Promise<PriceVersionCreatedResponse> {
    return this.prices.put(principal.userId, model, dto);
  }
}
