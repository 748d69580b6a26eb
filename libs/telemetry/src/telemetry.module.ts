import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { currentTelemetry } from './start-telemetry';

/** Exports the spans still waiting in the batch at shutdown (after the consumers and the relay stopped). */
@Injectable()
export class TelemetryFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await currentTelemetry()
      .flush()
      .catch(() => undefined);
  }
}

/** Import once per app's root module: a SIGTERM then loses no finished span. A no-op while tracing is off. */
@Module({ providers: [TelemetryFlush] })
export class TelemetryModule {}
