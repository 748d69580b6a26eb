import { Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DataSource } from 'typeorm';
import { LedgerConfig } from '../config/ledger.config';
import { PutPriceDto } from './dto/put-price.dto';
import { PricesRepository } from './prices.repository';
import { PricesService } from './prices.service';

/**
 * Loads LEDGER_PRICES_FILE at start: a JSON array of `{model, effective_from, input_per_mtok, …}` (the PUT body
 * plus `model`). Versions the price book lacks are added (created_by `seed:<file>`); versions it has are left
 * as they are, and one that differs from the file stops the start, because price history is never
 * overwritten and a silent mismatch would misprice events.
 */
@Injectable()
export class PricesSeedService {
  private readonly logger = new Logger('PricesSeed');

  constructor(
    private readonly config: LedgerConfig,
    private readonly dataSource: DataSource,
    private readonly repository: PricesRepository,
    private readonly prices: PricesService,
  ) {}

  /** Called once at start, after the migrations and before the consumer applies anything (so events get seed prices). */
  async load(): Promise<void> {
    const file = this.config.LEDGER_PRICES_FILE;
    if (!file) return;
    let entries: unknown;
    try {
      entries = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`LEDGER_PRICES_FILE ${file}: cannot read it as JSON: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(entries)) throw new Error(`LEDGER_PRICES_FILE ${file}: must be a JSON array of price versions`);
    let added = 0;
    for (const [i, entry] of entries.entries()) {
      const { model, ...body } = (entry ?? {}) as Record<string, unknown>;
      const dto = plainToInstance(PutPriceDto, body);
      const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (typeof model !== 'string' || model.length === 0 || model.length > 100 || errors.length > 0) {
        const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((c) => `${e.property}: ${c}`));
        throw new Error(`LEDGER_PRICES_FILE ${file}, entry ${i}: ${typeof model !== 'string' || !model ? 'model: is required' : problems.join('; ')}`);
      }
      const price = this.prices.toNewPrice(`seed:${basename(file)}`, model, dto);
      if (await this.repository.insert(this.dataSource.manager, price)) {
        added += 1;
        continue;
      }
      const existing = (await this.repository.version(this.dataSource.manager, model, dto.effective_from))!;
      const same = (
        ['input_micros_per_mtok', 'cached_input_micros_per_mtok', 'cache_write_micros_per_mtok', 'output_micros_per_mtok', 'reasoning_micros_per_mtok'] as const
      ).every((k) => existing[k] === price[k]);
      if (!same) {
        throw new Error(
          `LEDGER_PRICES_FILE ${file}, entry ${i}: ${model} effective from ${dto.effective_from} differs from the price book; ` +
            'price history is never overwritten: give the new prices a later effective_from',
        );
      }
    }
    this.logger.log({ msg: 'price seed loaded', file, entries: entries.length, added });
  }
}
