/**
 * What an interrupted bench run (Ctrl-C, SIGTERM) still has to stop: the app processes, the Debezium JVM and the
 * servers, each registered for as long as it runs. The apps and the broker run in process groups of their own (so a
 * terminal's Ctrl-C reaches the bench alone, which stops them in order), and would otherwise outlive it.
 */
const running = new Set<() => Promise<void>>();

/** Registers how to stop something the run started; returns the function that forgets it once it stopped. */
export function whileRunning(stop: () => Promise<void>): () => void {
  running.add(stop);
  return () => running.delete(stop);
}

/** Stops everything still registered, the latest first (the apps before the servers they use). */
export async function stopEverything(): Promise<void> {
  for (const stop of [...running].reverse()) {
    running.delete(stop);
    await stop().catch(() => undefined);
  }
}
