import { DynamicModule, Global, Module } from '@nestjs/common';
import { OutboxWriter } from '@chat-ledger/outbox';

/**
 * The one OutboxWriter of the gateway's use cases (messages, adjustments, usage records, tasks, budget events).
 * Global, so each feature takes it by injection instead of building its own. A host may hand in another writer
 * (`createGatewayApp`'s options): the benchmark's gateway without outbox rows does, to price the outbox row.
 */
@Global()
@Module({})
export class OutboxWriterModule {
  static forRoot(writer: OutboxWriter = new OutboxWriter()): DynamicModule {
    return { module: OutboxWriterModule, providers: [{ provide: OutboxWriter, useValue: writer }], exports: [OutboxWriter] };
  }
}
