/** A wake-up signal for a loop: `signal()` ends the current or the next `wait()` early. */
export class Wakeup {
  private pending = false;
  private wake?: () => void;

  signal(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Resolves after `ms`, or at once when signalled since the last wait. Returns true when signalled. */
  wait(ms: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      const done = (signalled: boolean) => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve(signalled);
      };
      this.wake = () => done(true);
    });
  }
}
