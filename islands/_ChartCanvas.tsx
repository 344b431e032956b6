/** A chart's server markup (a sized, labelled canvas) that draws itself once hydrated. */
import { useEffect, useRef } from "preact/hooks";
import type { ChartSpec } from "./_chart.ts";

/** Props of a chart figure. */
export interface ChartFigureProps {
  /** Caption of the chart. */
  title: string;
  /** Text alternative carrying every value (`chartAlt`, computed where the data is). */
  alt: string;
  spec: ChartSpec;
  /** Box height. */
  size?: "sm" | "md";
  /** Span the whole row of a chart grid. */
  wide?: boolean;
}

/** Renders a figure with a canvas named by its values; in the browser, draws the chart into it. */
export function ChartFigure({ title, alt, spec, size = "md", wide }: ChartFigureProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify(spec);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    let destroyed = false;
    let chart: { destroy(): void } | null = null;
    // chart.js is loaded here so that server rendering never touches it.
    import("./_chart.ts").then(({ drawChart }) => {
      if (destroyed) return;
      chart = drawChart(el, spec);
      el.dataset.drawn = "true";
    });
    return () => {
      destroyed = true;
      chart?.destroy();
    };
  }, [key]);
  return (
    <figure class={wide ? "chart wide" : "chart"}>
      <figcaption>{title}</figcaption>
      <div class={`chart-box chart-${size}`}>
        <canvas ref={canvas} role="img" aria-label={alt} />
      </div>
    </figure>
  );
}
