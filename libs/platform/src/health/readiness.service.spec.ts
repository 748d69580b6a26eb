import { Test } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { ReadinessService } from './readiness.service';

describe('ReadinessService (terminus)', () => {
  let readiness: ReadinessService;
  let indicators: HealthIndicatorService;
  const up = (key: string) => () => indicators.check(key).up();
  const down = (key: string) => () => indicators.check(key).down({ error: `${key} is down` });

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [TerminusModule.forRoot({ logger: false })], providers: [ReadinessService] }).compile();
    readiness = moduleRef.get(ReadinessService);
    indicators = moduleRef.get(HealthIndicatorService);
  });

  it('is ok with every check up, degraded (still 200) with only optional checks down, unavailable (503) otherwise', async () => {
    await expect(readiness.check([up('database'), up('kafka')], { optional: ['kafka'] })).resolves.toEqual({
      httpStatus: 200,
      body: { status: 'ok', checks: { database: { status: 'up' }, kafka: { status: 'up' } } },
    });
    await expect(readiness.check([up('database'), down('kafka')], { optional: ['kafka'] })).resolves.toEqual({
      httpStatus: 200,
      body: { status: 'degraded', checks: { database: { status: 'up' }, kafka: { status: 'down', error: 'kafka is down' } } },
    });
    await expect(readiness.check([down('database'), down('kafka')], { optional: ['kafka'] })).resolves.toMatchObject({
      httpStatus: 503,
      body: { status: 'unavailable', checks: { database: { status: 'down' }, kafka: { status: 'down' } } },
    });
    await expect(readiness.check([up('database'), down('kafka')])).resolves.toMatchObject({ httpStatus: 503, body: { status: 'unavailable' } });
  });
});
