import { ThrottlerStorageService } from '@nestjs/throttler';
import { writeThrottlerOptions } from './write-throttler.guard';

describe('writeThrottlerOptions (@nestjs/throttler, in-memory storage)', () => {
  afterEach(() => jest.useRealTimers());

  it('allows a burst per user, refuses without counting the refusal, and frees the budget as the window passes', async () => {
    const options = writeThrottlerOptions({ perSecond: 1, burst: 3 });
    const [throttler] = Array.isArray(options) ? options : options.throttlers;
    expect(throttler).toMatchObject({ limit: 3, ttl: 3_000, blockDuration: 0 });
    jest.useFakeTimers({ now: 1_000_000 });
    const storage = new ThrottlerStorageService();
    const hit = (user: string) => storage.increment(`writes:${user}`, 3_000, 3, 0, 'writes');
    try {
      for (let i = 0; i < 3; i++) await expect(hit('a')).resolves.toMatchObject({ isBlocked: false });
      await expect(hit('a')).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 3 });
      await expect(hit('b')).resolves.toMatchObject({ isBlocked: false });
      jest.advanceTimersByTime(1_000);
      await expect(hit('a')).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
      jest.advanceTimersByTime(2_000);
      await expect(hit('a')).resolves.toMatchObject({ isBlocked: false });
    } finally {
      storage.onApplicationShutdown();
    }
  });

  it('configures no throttler when the rate is 0 (the limit is off)', () => {
    expect(writeThrottlerOptions({ perSecond: 0, burst: 100 })).toEqual({ throttlers: [] });
  });
});
