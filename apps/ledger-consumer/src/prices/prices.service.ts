import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { DomainError, ErrorCode } from '@chat-ledger/platform';
import { LedgerConfig } from '../config/ledger.config';
import { epochMicros } from '../usage/usage.service';
import { PRICE_FIELDS, PriceField, PutPriceDto } from './dto/put-price.dto';
import { RepriceDto } from './dto/reprice.dto';
import {
  ModelPricesResponse,
  PriceBookResponse,
  PriceVersionCreatedResponse,
  PriceVersionResponse,
  RepriceModelChange,
  RepriceResponse,
} from './dto/price.response';
import { formatMicros, parseMicros } from './money';
import { NewPrice, PriceRow, PricesRepository, RepriceChange } from './prices.repository';

const MICROS_COLUMN: Record<PriceField, keyof NewPrice> = {
  input_per_mtok: 'input_micros_per_mtok',
  cached_input_per_mtok: 'cached_input_micros_per_mtok',
  cache_write_per_mtok: 'cache_write_micros_per_mtok',
  output_per_mtok: 'output_micros_per_mtok',
  reasoning_per_mtok: 'reasoning_micros_per_mtok',
};

/** Serialises reprices: two at once would both correct the same events. */
const REPRICE_LOCK = 0x6c656401;

export function priceResponse(row: PriceRow): PriceVersionResponse {
  const price = (micros: string | null) => (micros === null ? null : formatMicros(micros));
  return {
    model: row.model,
    effective_from: row.effective_from,
    currency: row.currency,
    // input and output prices are NOT NULL; the others default to them (null).
    input_per_mtok: formatMicros(row.input_micros_per_mtok),
    cached_input_per_mtok: price(row.cached_input_micros_per_mtok),
    cache_write_per_mtok: price(row.cache_write_micros_per_mtok),
    output_per_mtok: formatMicros(row.output_micros_per_mtok),
    reasoning_per_mtok: price(row.reasoning_micros_per_mtok),
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

function changesResponse(changes: RepriceChange[]) {
  const by_model: RepriceModelChange[] = changes.map((c) => ({
    model: c.model,
    events: c.events,
    cost_delta_micros: Number(c.cost_delta_micros),
    newly_priced: c.newly_priced,
  }));
  return {
    events_corrected: by_model.reduce((n, c) => n + c.events, 0),
    cost_delta_micros: by_model.reduce((n, c) => n + c.cost_delta_micros, 0),
    newly_priced: by_model.reduce((n, c) => n + c.newly_priced, 0),
    by_model,
  };
}

/**
 * The price book: versions per model, appended and never changed; and repricing, which corrects applied
 * events' costs with journal entries of their own instead of rewriting them. Every change is audited (who,
 * when; reprices also what they changed).
 */
@Injectable()
export class PricesService {
  private readonly logger = new Logger('Prices');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: PricesRepository,
    private readonly config: LedgerConfig,
  ) {}

  async list(): Promise<PriceBookResponse> {
    const rows = await this.repository.versions(this.dataSource.manager);
    const models = new Map<string, PriceVersionResponse[]>();
    for (const row of rows) models.set(row.model, [...(models.get(row.model) ?? []), priceResponse(row)]);
    return { currency: this.config.LEDGER_CURRENCY, models: [...models].map(([model, versions]) => ({ model, current: versions[0]!, versions })) };
  }

  async model(model: string): Promise<ModelPricesResponse> {
    const rows = await this.repository.versions(this.dataSource.manager, model);
    if (rows.length === 0) throw priceNotFound(model);
    return { model, currency: this.config.LEDGER_CURRENCY, versions: rows.map(priceResponse) };
  }

  /** A new version; an existing effective_from is a 409 (history is never overwritten), nothing is written. */
  async put(actor: string, model: string, dto: PutPriceDto): Promise<PriceVersionCreatedResponse> {
    const price = this.toNewPrice(actor, model, dto);
    const inserted = await this.repository.insert(this.dataSource.manager, price);
    if (!inserted) {
      throw new DomainError(ErrorCode.PriceVersionExists, `${model} already has a price version effective from ${dto.effective_from}`, [
        {
          field: 'effective_from',
          problem: 'a version with this effective_from exists; price history is never overwritten: add a version with a later effective_from',
        },
      ]);
    }
    const row = (await this.repository.version(this.dataSource.manager, model, dto.effective_from))!;
    const appliedSince = await this.repository.appliedSince(this.dataSource.manager, model, dto.effective_from);
    this.logger.log({ msg: 'price version added', model, effective_from: row.effective_from, actor, applied_events_since: appliedSince });
    return {
      ...priceResponse(row),
      // Events applied already keep the price they were counted with until a reprice corrects them.
      applied_events_since: appliedSince,
    };
  }

  async reprice(actor: string, dto: RepriceDto): Promise<RepriceResponse> {
    if (epochMicros(dto.from) >= epochMicros(dto.to)) throw DomainError.invalidField('from', 'must be before to (the range is empty or reversed)');
    const models = dto.models ? [...new Set(dto.models)] : null;
    const manager = this.dataSource.manager;
    if (models) {
      const priced = new Set(await this.repository.pricedModels(manager, models));
      const unknown = models.filter((m) => !priced.has(m));
      if (unknown.length > 0) throw DomainError.invalidField('models', `have no prices: ${unknown.join(', ')}`);
    }
    const echo = { from: dto.from, to: dto.to, models, currency: this.config.LEDGER_CURRENCY };
    const examined = await this.repository.eventsIn(manager, dto.from, dto.to, models);
    if (dto.dry_run) {
      return {
        reprice_id: null,
        dry_run: true,
        ...echo,
        events_examined: examined,
        ...changesResponse(await this.repository.previewReprice(manager, dto.from, dto.to, models)),
      };
    }
    const id = uuidv7();
    const changes = await this.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [REPRICE_LOCK]);
      const written = await this.repository.writeCorrections(tx, dto.from, dto.to, models);
      const summary = changesResponse(written);
      await this.repository.recordReprice(tx, {
        id,
        actor,
        from: dto.from,
        to: dto.to,
        models,
        entries: summary.events_corrected,
        delta: String(summary.cost_delta_micros),
        newlyPriced: summary.newly_priced,
      });
      return written;
    });
    const summary = changesResponse(changes);
    this.logger.log({
      msg: 'reprice',
      reprice_id: id,
      actor,
      from: dto.from,
      to: dto.to,
      models,
      events_corrected: summary.events_corrected,
      cost_delta_micros: summary.cost_delta_micros,
    });
    return { reprice_id: id, dry_run: false, ...echo, events_examined: examined, ...summary };
  }

  /** The validated DTO as a row; prices are exact micro-units, the currency must be the deployment's. */
  toNewPrice(actor: string, model: string, dto: PutPriceDto): NewPrice {
    if (dto.currency !== undefined && dto.currency !== this.config.LEDGER_CURRENCY) {
      throw DomainError.invalidField('currency', `must be ${this.config.LEDGER_CURRENCY}, the currency of this deployment (LEDGER_CURRENCY)`);
    }
    const price: NewPrice = {
      model,
      effective_from: dto.effective_from,
      currency: this.config.LEDGER_CURRENCY,
      input_micros_per_mtok: '0',
      cached_input_micros_per_mtok: null,
      cache_write_micros_per_mtok: null,
      output_micros_per_mtok: '0',
      reasoning_micros_per_mtok: null,
      created_by: actor,
    };
    for (const field of PRICE_FIELDS) {
      const text = dto[field];
      if (text === undefined) continue;
      (price as unknown as Record<string, string>)[MICROS_COLUMN[field]] = parseMicros(text)!.toString();
    }
    return price;
  }
}

export function priceNotFound(model: string): DomainError {
  return new DomainError(ErrorCode.PriceNotFound, `no prices for model ${model}`, [{ field: 'model', problem: 'has no price versions' }]);
}
