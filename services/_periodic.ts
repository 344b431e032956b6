/**
 * The one scheduler loop of the service's periodic jobs (retention, fleet maintenance, recording
 * upkeep): a first run shortly after start, then one every interval. A run still going when the
 * next is due is not started twice in one process; `stop` clears the timers and waits for a run
 * under way. Private to services/.
 */

/** A running schedule. */
export interface Periodic {
  /** Stops the timers; resolves once a run under way has settled. */
  stop(): Promise<void>;
}

/**
 * Returns a schedule calling `job` after `firstRunMs` and then every `intervalMs`, never two
 * runs at once (`job` reports its own failures; a rejection is swallowed so the next run comes).
 */
export function schedulePeriodic(
  job: () => Promise<void>,
  { firstRunMs, intervalMs }: { firstRunMs: number; intervalMs: number },
): Periodic {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= job().catch(() => {}).finally(() => (running = null));
  };
  const first = setTimeout(run, firstRunMs);
  const periodic = setInterval(run, intervalMs);
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(periodic);
      await running;
    },
  };
}
