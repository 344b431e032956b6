/**
 * The shape of the command hints (services/command_hints.ts holds the implementation): which
 * devices may have a PENDING command, so that an empty poll needs no SQL.
 */

/** What a poll learns from the hints before touching the database. */
export type HintProbe =
  /** The device certainly has no pending command: answer null without SQL. */
  | { kind: "none" }
  /** Ask the database; pass the ticket to `settle` if it found nothing. */
  | { kind: "ask"; ticket: number };

/** The hints of one process. */
export interface CommandHints {
  /** Returns whether the device certainly has nothing pending, or a ticket to ask the database. */
  probe(deviceId: string): HintProbe;
  /** Forgets the device's hint when the poll holding `ticket` found nothing and no newer hint came. */
  settle(deviceId: string, ticket: number): void;
  /** Records that a command was queued for the device (the notification, or this process's own queue). */
  add(deviceId: string): void;
  /** Resolves once the set is reloaded from the database (a failure leaves it as it was). */
  refresh(): Promise<void>;
  /** Returns whether polls are answered from the hints (listening and loaded). */
  ready(): boolean;
  /** Returns the number of devices hinted (for tests and /metrics). */
  size(): number;
}
