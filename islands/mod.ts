/**
 * The island registry: the only components that run in the browser. The server renders them
 * through `<Island name=… />` (routes/render.tsx); routes/assets.ts bundles one entry per name.
 */
import type { ComponentProps } from "preact";
import Chart from "./Chart.tsx";
import CompanyTrends from "./CompanyTrends.tsx";
import DemoGenerator from "./DemoGenerator.tsx";

/** Every island by name (the name is also its bundle's file name). */
export const islands = { Chart, CompanyTrends, DemoGenerator };

/** The name of an island. */
export type IslandName = keyof typeof islands;

/** The props of an island (serialized to JSON, so plain data only). */
export type IslandProps<N extends IslandName> = ComponentProps<(typeof islands)[N]>;

/** Module path of each island, relative to this folder (for the bundler's generated entries). */
export const islandModules: Record<IslandName, string> = {
  Chart: "./Chart.tsx",
  CompanyTrends: "./CompanyTrends.tsx",
  DemoGenerator: "./DemoGenerator.tsx",
};
