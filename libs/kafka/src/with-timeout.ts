export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Rejects with a TimeoutError naming `what` when `promise` has not settled within `ms`. kafkajs calls can
 * wait much longer than their own timeouts while reconnecting; a loop that must stay responsive (a relay
 * batch, a readiness probe, a DLQ copy) bounds them itself. The timer never keeps the process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
