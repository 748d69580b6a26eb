import { backoffDelayMs } from '@chat-ledger/kafka';

/** Returned instead of a result when the consumer stopped or lost the partition while retrying. */
export const ABANDONED = Symbol('abandoned');

export interface BatchControl {
  /** false once the consumer is stopping. */
  isRunning(): boolean;
  /** true once the partition was reassigned or seeked: the batch must not be committed. */
  isStale(): boolean;
  /** Keeps group membership while a batch waits; throws when the group rebalances. */
  heartbeat(): Promise<void>;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Called before each wait. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const HEARTBEAT_SLICE_MS = 500;

/**
 * Runs `fn` until it succeeds. Between attempts it waits with backoff while heartbeating, so the
 * consumer keeps its partitions during a database outage and nothing is skipped or committed.
 * Gives up (ABANDONED) only when the consumer stops or the batch became stale; heartbeat errors
 * (rebalance) propagate so kafkajs re-joins and redelivers the batch.
 */
export async function retryWithBackoff<T>(fn: () => Promise<T>, control: BatchControl, options: BackoffOptions): Promise<T | typeof ABANDONED> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    if (!control.isRunning() || control.isStale()) return ABANDONED;
    try {
      return await fn();
    } catch (error) {
      if (!control.isRunning() || control.isStale()) return ABANDONED;
      const delay = backoffDelayMs(attempt, options.initialMs, options.maxMs, options.random);
      options.onRetry?.(error, attempt, delay);
      for (let waited = 0; waited < delay; waited += HEARTBEAT_SLICE_MS) {
        await sleep(Math.min(HEARTBEAT_SLICE_MS, delay - waited));
        if (!control.isRunning() || control.isStale()) return ABANDONED;
        await control.heartbeat();
      }
    }
  }
}
