import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** How often live figures refresh while the tab is visible. */
export const POLL_INTERVAL_MS = 5_000;

export interface Polled<T> {
  data: T | undefined;
  /** The last load's error; data (if any) is then the previous answer, shown as of updatedAt. */
  error: ApiError | Error | undefined;
  /** True until the first answer (or error) for the current inputs. */
  loading: boolean;
  updatedAt: Date | undefined;
  refresh: () => void;
}

/**
 * Loads now and again every `intervalMs` while the page is visible, without a reload. New inputs (deps) abort the
 * request in flight and start over; an answer that arrives after a newer request started is dropped. A failed
 * refresh keeps the last good figures on screen (the page says so).
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], intervalMs = POLL_INTERVAL_MS): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({ data: undefined, error: undefined, loading: true, updatedAt: undefined });
  const generation = useRef(0);
  const controller = useRef<AbortController | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  const inFlight = useRef(false);

  const run = useCallback(async (reset: boolean) => {
    // A refresh while the last one is still loading waits for the next tick rather than starting over.
    if (!reset && inFlight.current) return;
    const mine = ++generation.current;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    if (reset) setState({ data: undefined, error: undefined, loading: true, updatedAt: undefined });
    inFlight.current = true;
    try {
      const data = await loadRef.current(abort.signal);
      if (mine === generation.current) setState({ data, error: undefined, loading: false, updatedAt: new Date() });
    } catch (error) {
      if ((error as Error).name === 'AbortError' || mine !== generation.current) return;
      setState((previous) => ({ ...previous, error: error as Error, loading: false }));
    } finally {
      if (mine === generation.current) inFlight.current = false;
    }
  }, []);

  // New inputs: start over (the previous figures belong to other inputs).
  useEffect(() => {
    void run(true);
    return () => {
      controller.current?.abort();
      generation.current++;
      inFlight.current = false;
    };
    // The caller's inputs are the dependencies (load itself changes on every render and is read through a ref).
  }, deps);

  // The refresh timer: a change of interval keeps what is shown.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void run(false);
    }, intervalMs);
    const onVisible = () => document.visibilityState === 'visible' && void run(false);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [intervalMs, run]);

  return { ...state, refresh: useCallback(() => void run(false), [run]) };
}

/** State kept for this tab (sessionStorage), so a page's filters survive switching pages. */
export function useStoredState<T extends object>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const stored = window.sessionStorage.getItem(`chat-ledger.console.${key}`);
      return stored ? { ...initial, ...JSON.parse(stored) } : initial;
    } catch {
      return initial;
    }
  });
  const set = useCallback(
    (next: T) => {
      setValue(next);
      window.sessionStorage.setItem(`chat-ledger.console.${key}`, JSON.stringify(next));
    },
    [key],
  );
  return [value, set];
}
