/**
 * Browser-side hydration: finds every element the server marked `data-island="<name>"`, reads its
 * props from the `<script type="application/json">` the marker points to, and hydrates it.
 */
import { type FunctionComponent, h, hydrate } from "preact";

/** Hydrates every server-rendered instance of one island on the page. */
export function boot<P extends object>(name: string, component: FunctionComponent<P>): void {
  const roots = document.querySelectorAll<HTMLElement>(`[data-island="${name}"]`);
  for (const root of roots) {
    const source = document.getElementById(root.dataset.props ?? "");
    if (!source) continue;
    // The server serialized exactly this island's props (routes/render.tsx).
    const props = JSON.parse(source.textContent ?? "{}") as P;
    hydrate(h(component, props), root);
    root.dataset.hydrated = "true";
  }
}
