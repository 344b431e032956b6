/** The demo task's options and result, shared by its two paths (private to scripts/). */
import type { SeededCompany } from "../openapi/company.ts";
import type { DemoData } from "./demo_data.ts";
import type { DemoFleet } from "./demo_fleet.ts";

/** Reports progress of one phase (`done` of `total` items). */
export type Progress = (phase: string, done: number, total: number) => void;

export interface DemoOptions {
  seed: number;
  now: Date;
  reset: boolean;
  progress?: Progress;
}

export interface DemoResult {
  demo: DemoData;
  companies: (SeededCompany & { players: number })[];
  sessions: { created: number; present: number };
  events: { stored: number; duplicates: number };
  engagement: { stored: number; duplicates: number };
  fleet: DemoFleet;
}
